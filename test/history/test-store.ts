import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSqliteStore } from '../../server/store/sqlite/open.ts';
import type { Store } from '../../server/store/store.ts';

/** A real store (SQLite in a temporary directory, at the newest schema). */
export function openTestStore(): { store: Store; dir: string; cleanup(): Promise<void> } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'detourwatch-history-'));
  const store = openSqliteStore({ dataDir: dir, create: true });
  return {
    store,
    dir,
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
