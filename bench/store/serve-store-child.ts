/**
 * Child process: a coordinator over an existing store, wired as `detourwatch serve` wires it (history API,
 * map, agent endpoint), on 127.0.0.1 with recurring measurements off; on PostgreSQL when `database` is
 * given. Answers `ready` with its URL.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createAnalyzer } from '../../server/analyze/pipeline.ts';
import { loadServeOptions } from '../../server/config/serve-config.ts';
import { serveSettings, startCoordinator } from '../../server/coordinator.ts';
import { openStore } from '../../server/store/open-store.ts';
import { type ChildMessage, childJob, reply, runChildMain } from '../child.ts';

const UNLIMITED = { ratePerSecond: 1e9, burst: 1e9 };

export interface ServeStoreJob {
  /** The SQLite store's directory; with `database`, where serve's other files go. */
  dataDir: string;
  /** A PostgreSQL URL: the store is there. */
  database?: string;
  /** The store's own "now" (when it was generated): incidents and relative times are judged from there. */
  asOf: number;
}

runChildMain(async () => {
  const job = await childJob<ServeStoreJob>();
  const targetsFile = path.join(job.dataDir, 'targets.txt');
  writeFileSync(targetsFile, '# the bench sends no tasks (--no-schedule)\n');
  const where = job.database === undefined ? ['--data', job.dataDir] : ['--database', job.database];
  const { config, history } = loadServeOptions(
    [...where, '--host', '127.0.0.1', '--port', '0', '--targets', targetsFile, '--no-schedule'],
    { DETOURWATCH_DATA: job.dataDir },
  );
  const log = () => {};
  const analyzer = createAnalyzer({ cityDb: config.cityDb, asnDb: config.asnDb });
  const store = await openStore({ dataDir: config.dataDir, database: config.database, create: false });
  const began = Date.now();
  const coordinator = await startCoordinator({
    store,
    analyzer,
    log,
    ...serveSettings(config, history),
    watchTargets: false,
    // One client asking as fast as it can: the limiter still runs (its cost is measured), never refuses.
    rateLimits: { read: UNLIMITED, write: UNLIMITED },
    now: () => job.asOf + (Date.now() - began),
  });
  process.on('message', (m: ChildMessage) => {
    if (m.type !== 'stop') return;
    (async () => {
      await coordinator.close();
      await store.close();
      process.disconnect();
    })();
  });
  reply({ type: 'ready', url: coordinator.url });
});
