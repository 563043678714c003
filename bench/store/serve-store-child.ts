/**
 * Child process: a coordinator over an existing store, wired as `detourwatch serve` wires it (history API,
 * map, agent endpoint), on 127.0.0.1 with recurring measurements off. Answers `ready` with its URL.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createAnalyzer } from '../../server/analyze/pipeline.ts';
import { loadServeConfig } from '../../server/config/serve-config.ts';
import { startCoordinator } from '../../server/coordinator.ts';
import { loadHistoryConfig } from '../../server/history/history-options.ts';
import { startHistory } from '../../server/history/history-service.ts';
import { sqliteMapSource } from '../../server/http/map-source.ts';
import { parseTraces } from '../../server/parse/index.ts';
import { openSqliteStore } from '../../server/store/sqlite-store.ts';
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
  const config = loadServeConfig(
    ['--data', job.dataDir, '--host', '127.0.0.1', '--port', '0', '--targets', targetsFile, '--no-schedule'],
    {},
  );
  const log = () => {};
  const analyzer = createAnalyzer({ cityDb: config.cityDb, asnDb: config.asnDb });
  const store = openSqliteStore({ dataDir: config.dataDir, create: false });
  const mapSource = sqliteMapSource(store.database, { log });
  const began = Date.now();
  const now = () => job.asOf + (Date.now() - began);
  const history = startHistory({ store, ...loadHistoryConfig([], {}).config, log, now });
  const coordinator = await startCoordinator({
    store,
    analyze: analyzer.annotateAndJudge,
    parseTraces,
    host: config.host,
    port: config.port,
    targetsFile: config.targetsFile,
    watchTargets: false,
    schedule: config.schedule,
    intervalMs: config.intervalMs,
    heartbeatMs: config.heartbeatMs,
    log,
    history: history.routes,
    map: { source: mapSource, config: { tileUrl: config.tileUrl, tileAttribution: config.tileAttribution } },
  });
  process.on('message', (m: ChildMessage) => {
    if (m.type !== 'stop') return;
    (async () => {
      await coordinator.close();
      mapSource.close();
      await history.close();
      await store.close();
      process.disconnect();
    })();
  });
  reply({ type: 'ready', url: coordinator.url });
});
