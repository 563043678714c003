/**
 * Child process: a coordinator over an existing store, wired as `detourwatch serve` wires it (history API,
 * map, agent endpoint), on 127.0.0.1 with recurring measurements off. Answers `ready` with its URL.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createAnalyzer } from '../../server/analyze/pipeline.ts';
import { loadServeOptions } from '../../server/config/serve-config.ts';
import { serveSettings, startCoordinator } from '../../server/coordinator.ts';
import { openSqliteStore } from '../../server/store/sqlite/open.ts';
import { type ChildMessage, childJob, reply, runChildMain } from '../child.ts';

export interface ServeStoreJob {
  dataDir: string;
  /** The store's own "now" (when it was generated): incidents and relative times are judged from there. */
  asOf: number;
}

runChildMain(async () => {
  const job = await childJob<ServeStoreJob>();
  const targetsFile = path.join(job.dataDir, 'targets.txt');
  writeFileSync(targetsFile, '# the bench sends no tasks (--no-schedule)\n');
  const { config, history } = loadServeOptions(
    ['--data', job.dataDir, '--host', '127.0.0.1', '--port', '0', '--targets', targetsFile, '--no-schedule'],
    {},
  );
  const log = () => {};
  const analyzer = createAnalyzer({ cityDb: config.cityDb, asnDb: config.asnDb });
  const store = openSqliteStore({ dataDir: config.dataDir, create: false });
  const began = Date.now();
  const coordinator = await startCoordinator({
    store,
    analyzer,
    log,
    ...serveSettings(config, history),
    watchTargets: false,
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
