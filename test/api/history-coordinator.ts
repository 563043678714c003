/**
 * A real coordinator for the history API tests, assembled as `serve` assembles it (the shared harness,
 * test/integration/coordinator-harness.ts): SQLite store in a temp directory, the real analysis over the
 * test world's databases, history (incidents, baselines) folding in the store's writes, HTTP on
 * 127.0.0.1:0. Traces arrive as RIPE Atlas imports through the same store path `detourwatch import` uses.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { type Analyzer, createAnalyzer } from '../../server/analyze/pipeline.ts';
import { type ExportSlots, exportSlots } from '../../server/history/export-slots.ts';
import type { HistoryService } from '../../server/history/history-service.ts';
import { type AtlasImportReport, importAtlas, storeImportSink } from '../../server/import/atlas-import.ts';
import type { Store } from '../../server/store/store.ts';
import { CITIES, writeWorldDatabases } from '../helpers/analyze-world.ts';
import { ndjson, SAN_JOSE_PROBE } from '../history/world-results.ts';
import { startTestCoordinator } from '../integration/coordinator-harness.ts';

/** Exports allowed at once here: the test takes every slot to see the 503. */
const EXPORT_SLOTS = 4;

export interface HistoryCoordinator {
  url: string;
  store: Store;
  history: HistoryService;
  analyzer: Analyzer;
  /** The export slots the coordinator's API takes from. */
  exports: ExportSlots;
  /** Holds the world's databases, and the store under `data/`. */
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
  const exports = exportSlots(EXPORT_SLOTS);
  const t = await startTestCoordinator(
    {
      analyzer,
      exports,
      history: { quietMs: options.quietMs ?? 2 * 3_600_000, webhooks: [], retainHopsDays: null },
    },
    { dataDir: path.join(dir, 'data') },
  ).catch((err: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  const { coordinator, store } = t;
  const probes = new Map([[SAN_JOSE_PROBE, CITIES.sanJose]]);
  return {
    url: coordinator.url,
    store,
    history: coordinator.history,
    analyzer,
    exports,
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
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
