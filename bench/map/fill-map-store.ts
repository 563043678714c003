/**
 * Fills a store for the map benchmark through the store's own write path: `writeImported` in batches, as
 * `detourwatch import atlas` writes (no agents, no sockets). Each of the `paths` distinct paths is parsed and
 * judged once by the real analysis over the scale world (test/browser/helpers/map-scale-world.ts); `traces`
 * traces are then spread over them round-robin, each with its own start time (one a minute back from now) and
 * import key.
 */
import { openSqliteStore } from '../../server/store/sqlite/open.ts';
import { importBatches, judgedPaths } from '../../test/browser/helpers/map-scale-world.ts';

const MINUTE_MS = 60_000;

export interface FillOptions {
  dataDir: string;
  paths: number;
  traces: number;
}

export interface FilledStore {
  paths: number;
  traces: number;
  detours: number;
  seconds: number;
  /** Epoch ms of the newest trace. */
  asOf: number;
}

export async function fillMapStore(options: FillOptions): Promise<FilledStore> {
  const began = performance.now();
  const asOf = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS;
  const templates = judgedPaths(options.paths, asOf);
  const store = openSqliteStore({ dataDir: options.dataDir, create: true });
  try {
    for (const batch of importBatches(templates, options.traces, asOf)) await store.writeImported(batch);
    const { traces, detours } = await store.historyCounts();
    return { paths: options.paths, traces, detours, seconds: (performance.now() - began) / 1000, asOf };
  } finally {
    await store.close();
  }
}
