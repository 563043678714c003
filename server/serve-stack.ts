/**
 * The whole coordinator as `serve` runs it: history (incidents, alerts, retention), the map's data source and
 * the coordinator itself, over one store. Shared by `detourwatch serve` and the benchmarks, so that what is
 * measured is what runs.
 */
import type { Analyzer } from './analyze/pipeline.ts';
import type { ServeConfig } from './config/serve-config.ts';
import { type Coordinator, startCoordinator } from './coordinator.ts';
import type { HistoryConfig } from './history/history-options.ts';
import { type HistoryService, startHistory } from './history/history-service.ts';
import { storeMapSource } from './http/map-source.ts';
import { parseTraces } from './parse/index.ts';
import type { Store } from './store/store.ts';

export interface ServeStack {
  coordinator: Coordinator;
  history: HistoryService;
  /** Stops taking agents and requests, writes what is pending; the store stays open (its owner closes it). */
  close(): Promise<void>;
}

export async function startServeStack(options: {
  config: ServeConfig;
  historyConfig: HistoryConfig;
  analyzer: Analyzer;
  store: Store;
  log: (line: string) => void;
  /** Watch the target file for changes (serve does for an operator's file, not the shipped one). */
  watchTargets: boolean;
  /** The history's clock (benchmarks replay stored time). */
  now?: () => number;
}): Promise<ServeStack> {
  const { config, store, log } = options;
  const mapSource = storeMapSource(store, { log });
  let history: HistoryService | null = null;
  try {
    history = await startHistory({
      store,
      ...options.historyConfig,
      log,
      ...(options.now ? { now: options.now } : {}),
    });
    const coordinator = await startCoordinator({
      store,
      analyze: options.analyzer.annotateAndJudge,
      parseTraces,
      host: config.host,
      port: config.port,
      targetsFile: config.targetsFile,
      watchTargets: options.watchTargets,
      schedule: config.schedule,
      intervalMs: config.intervalMs,
      heartbeatMs: config.heartbeatMs,
      log,
      history: history.routes,
      map: {
        source: mapSource,
        config: { tileUrl: config.tileUrl, tileAttribution: config.tileAttribution },
      },
    });
    const started = history;
    return {
      coordinator,
      history: started,
      async close() {
        await coordinator.close();
        mapSource.close();
        await started.close();
      },
    };
  } catch (err) {
    mapSource.close();
    await history?.close();
    throw err;
  }
}
