/**
 * Child process: the coordinator as `detourwatch serve` wires it (server/coordinator.ts: the real parser, the
 * real analyzer from createAnalyzer, the history service folding every stored trace into incidents inside
 * the write transaction, the map source, a real SQLite store in a temporary directory) on 127.0.0.1, with
 * one token per simulated agent. Answers `counts` with what the store holds; `stop` closes it all and
 * removes the directory.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createAnalyzer } from '../../server/analyze/pipeline.ts';
import { loadServeOptions } from '../../server/config/serve-config.ts';
import { serveSettings, startCoordinator } from '../../server/coordinator.ts';
import { openSqliteStore } from '../../server/store/sqlite/open.ts';
import { generateToken, hashToken } from '../../server/store/tokens.ts';
import { type ChildMessage, childJob, reply, runChildMain } from '../child.ts';

export interface CoordinatorJob {
  agents: number;
}

runChildMain(async () => {
  const job = await childJob<CoordinatorJob>();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'detourwatch-bench-coordinator-'));
  const targetsFile = path.join(dir, 'targets.txt');
  writeFileSync(targetsFile, '# the bench sends no tasks (--no-schedule)\n');
  // serve's own defaults, from its own option readers.
  const { config, history } = loadServeOptions(
    ['--data', dir, '--host', '127.0.0.1', '--port', '0', '--targets', targetsFile, '--no-schedule'],
    {},
  );
  const log = () => {};
  const analyzer = createAnalyzer({
    cityDb: config.cityDb,
    asnDb: config.asnDb,
    homeCountry: config.homeCountry,
    kmPerMs: config.kmPerMs,
    lookUpDocumentation: config.lookUpDocumentation,
  });
  analyzer.preload();
  const store = openSqliteStore({ dataDir: config.dataDir, create: true });
  const tokens: string[] = [];
  for (let i = 0; i < job.agents; i++) {
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
  });
  process.on('message', (m: ChildMessage) => {
    if (m.type === 'counts') {
      store.counts().then((counts) => reply({ type: 'counts', counts }));
    } else if (m.type === 'stop') {
      (async () => {
        await coordinator.close();
        await store.close();
        rmSync(dir, { recursive: true, force: true });
        process.disconnect();
      })();
    }
  });
  reply({ type: 'ready', agentUrl: coordinator.agentUrl, url: coordinator.url, tokens });
});
