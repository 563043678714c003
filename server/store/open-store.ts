import { openSqliteStore } from './sqlite/open.ts';
import type { Store } from './store.ts';

/** The coordinator's wait for a write lock: short, because the wait blocks its event loop (ingest retries). */
export const COORDINATOR_BUSY_TIMEOUT_MS = 20;

export interface OpenStoreOptions {
  /** The data directory (`--data`). */
  dataDir: string;
  /** Create what is missing (serve, token create, import); false for commands that only read. */
  create: boolean;
  /** See SqliteStoreOptions.busyTimeoutMs: the coordinator waits a few ms, one-shot commands longer. */
  busyTimeoutMs?: number;
}

/**
 * The store the commands use. Asynchronous because a database server (PostgreSQL, issue 12) is reached over
 * a socket; today it is always the SQLite file under `dataDir`.
 */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  return openSqliteStore(options);
}
