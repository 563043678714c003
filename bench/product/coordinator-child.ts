/**
 * Child process: the coordinator as `detourwatch serve` wires it (server/coordinator.ts: the real parser, the
 * real analyzer from createAnalyzer, the history service folding every stored trace into incidents inside
 * the write transaction, the map source, a real SQLite store in a temporary directory, or `--database URL`
 * when `database` is given) on 127.0.0.1, making `tokens` tokens (one per simulated agent; a second
 * coordinator on the same database makes none). Answers `counts` with what the store holds; `stop` closes
 * it all and removes the directory.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createAnalyzer } from '../../server/analyze/pipeline.ts';
import { loadServeOptions } from '../../server/config/serve-config.ts';
import { serveSettings, startCoordinator } from '../../server/coordinator.ts';
import { openStore } from '../../server/store/open-store.ts';
import { generateToken, hashToken } from '../../server/store/tokens.ts';
import { type ChildMessage, childJob, reply, runChildMain } from '../child.ts';

export interface CoordinatorJob {
  /** Tokens to create, one per simulated agent. */
  tokens: number;
  /** A PostgreSQL URL: the store is there (several coordinators may share it); absent: SQLite. */
  database?: string;
  /** serve --analysis-workers (issue 17); absent or 0: in the main thread. */
  analysisWorkers?: number;
  /**
   * An existing SQLite store's directory (a generated one: bench/store/cached-store.ts) to ingest into and
   * serve from, kept on stop; `asOf` is its own "now" (the coordinator's clock starts there).
   */
  existing?: { dataDir: string; asOf: number };
}

const UNLIMITED = { ratePerSecond: 1e9, burst: 1e9 };

/** A clock that starts at `asOf` and runs at the real rate. */
function clockFrom(asOf: number): () => number {
  const began = Date.now();
  return () => asOf + (Date.now() - began);
}

runChildMain(async () => {
  const job = await childJob<CoordinatorJob>();
  const dir = job.existing?.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'detourwatch-bench-coordinator-'));
  const targetsFile = path.join(dir, 'targets.txt');
  writeFileSync(targetsFile, '# the bench sends no tasks (--no-schedule)\n');
  // serve's own defaults, from its own option readers.
  // The data directory holds the evidence key also when the store is on PostgreSQL (as serve's).
  const where = job.database === undefined ? ['--data', dir] : ['--database', job.database];
  const { config, history } = loadServeOptions(
    [...where, '--host', '127.0.0.1', '--port', '0', '--targets', targetsFile, '--no-schedule'],
    { DETOURWATCH_DATA: dir },
  );
  const log = () => {};
  const analyzerOptions = {
    cityDb: config.cityDb,
    asnDb: config.asnDb,
    homeCountry: config.homeCountry,
    kmPerMs: config.kmPerMs,
    lookUpDocumentation: config.lookUpDocumentation,
  };
  const analyzer = createAnalyzer(analyzerOptions);
  analyzer.preload();
  const store = await openStore({
    dataDir: config.dataDir,
    database: config.database,
    create: job.existing === undefined,
  });
  const tokens: string[] = [];
  for (let i = 0; i < job.tokens; i++) {
    const token = generateToken();
    await store.createToken(`bench-agent-${i}`, hashToken(token), new Date().toISOString());
    tokens.push(token);
  }
  const coordinator = await startCoordinator({
    store,
    analyzer,
    log,
    ...serveSettings(config, history),
    watchTargets: false,
    // The simulated agents send results without tasks (--no-schedule issues none): ingest, not task checks.
    enforceTasks: false,
    analysisWorkers: { count: job.analysisWorkers ?? 0, analyzer: analyzerOptions },
    // Served to the bench's one query client: latency is measured, not the API's per-address limits.
    ...(job.existing
      ? { now: clockFrom(job.existing.asOf), rateLimits: { read: UNLIMITED, write: UNLIMITED } }
      : {}),
  });
  process.on('message', (m: ChildMessage) => {
    if (m.type === 'counts') {
      store.counts().then((counts) => reply({ type: 'counts', counts }));
    } else if (m.type === 'stop') {
      (async () => {
        await coordinator.close();
        await store.close();
        if (!job.existing) rmSync(dir, { recursive: true, force: true });
        process.disconnect();
      })();
    }
  });
  reply({ type: 'ready', agentUrl: coordinator.agentUrl, url: coordinator.url, tokens });
});
