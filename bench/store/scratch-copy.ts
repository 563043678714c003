/**
 * A throwaway copy of a cached store for a benchmark that writes into it (ingest onto a full store), so the
 * cached one stays what the query bench measures. Kept beside the cache (same file system: the copy is a
 * kernel copy_file_range) and removed by `drop`.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { CachedStore } from './cached-store.ts';

export interface ScratchStore {
  dataDir: string;
  asOf: number;
  bytes: number;
  copySeconds: number;
  drop(): void;
}

export function scratchCopy(store: CachedStore): ScratchStore {
  const dataDir = `${store.dataDir}-scratch`;
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const began = performance.now();
  let bytes = 0;
  for (const entry of readdirSync(store.dataDir)) {
    const from = path.join(store.dataDir, entry);
    if (!statSync(from).isFile()) continue;
    copyFileSync(from, path.join(dataDir, entry));
    bytes += statSync(from).size;
  }
  return {
    dataDir,
    asOf: store.asOf,
    bytes,
    copySeconds: (performance.now() - began) / 1000,
    drop: () => {
      if (existsSync(dataDir)) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
