/**
 * A real coordinator for the history API tests: SQLite store in a temp directory, the real analysis over the
 * test world's databases, the history service (incidents, baselines) folding in the store's writes, HTTP on
 * 127.0.0.1:0. Traces arrive as RIPE Atlas imports through the same store path `detourwatch import` uses.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { type Analyzer, createAnalyzer } from '../../server/analyze/pipeline.ts';
import { DEFAULT_TARGETS_FILE } from '../../server/config/serve-config.ts';
import { type Coordinator, startCoordinator } from '../../server/coordinator.ts';
import { type HistoryService, startHistory } from '../../server/history/history-service.ts';
import { type AtlasImportReport, importAtlas, storeImportSink } from '../../server/import/atlas-import.ts';
import { parseTraces } from '../../server/parse/index.ts';
import { openSqliteStore } from '../../server/store/sqlite/open.ts';
import type { Store } from '../../server/store/store.ts';
import { CITIES, writeWorldDatabases } from '../helpers/analyze-world.ts';
import { ndjson, SAN_JOSE_PROBE } from '../history/world-results.ts';

export interface HistoryCoordinator {
  url: string;
  store: Store;
  history: HistoryService;
  analyzer: Analyzer;
  dir: string;
  importResults(results: Record<string, unknown>[]): Promise<AtlasImportReport>;
  get<T = unknown>(pathAndQuery: string): Promise<{ status: number; body: T; headers: Headers }>;
  close(): Promise<void>;
}

export async function startHistoryCoordinator(
  options: { quietMs?: number } = {},
): Promise<HistoryCoordinator> {
  const dir = mkdtempSync(path.join(tmpdir(), 'dw-api-'));
  const dbs = writeWorldDatabases(dir);
  const analyzer = createAnalyzer({ ...dbs, lookUpDocumentation: true });
  const store = openSqliteStore({ dataDir: path.join(dir, 'data'), create: true });
  const history = await startHistory({
    store,
    quietMs: options.quietMs ?? 2 * 3_600_000,
    webhooks: [],
    retainHopsDays: null,
  });
  let coordinator: Coordinator;
  try {
    coordinator = await startCoordinator({
      store,
      analyze: analyzer.annotateAndJudge,
      parseTraces,
      host: '127.0.0.1',
      port: 0,
      targetsFile: DEFAULT_TARGETS_FILE,
      watchTargets: false,
      schedule: false,
      intervalMs: 60_000,
      heartbeatMs: 5000,
      history: history.routes,
    });
  } catch (err) {
    await history.close();
    await store.close();
    throw err;
  }
  const probes = new Map([[SAN_JOSE_PROBE, CITIES.sanJose]]);
  return {
    url: coordinator.url,
    store,
    history,
    analyzer,
    dir,
    importResults: (results) =>
      importAtlas({
        input: Readable.from([ndjson(results)]),
        analyzer,
        probes,
        sink: storeImportSink(store),
      }),
    async get<T>(pathAndQuery: string) {
      const res = await fetch(`${coordinator.url}${pathAndQuery}`);
      const text = await res.text();
      const json = (res.headers.get('content-type') ?? '').includes('application/json');
      return { status: res.status, body: (json ? JSON.parse(text) : text) as T, headers: res.headers };
    },
    async close() {
      await coordinator.close();
      await history.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
