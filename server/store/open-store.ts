import { openSqliteStore } from './sqlite/open.ts';
import type { Store } from './store.ts';

/** The coordinator's wait for a write lock: short, because the wait blocks its event loop (ingest retries). */
export const COORDINATOR_BUSY_TIMEOUT_MS = 20;

export interface OpenStoreOptions {
  /** The data directory (`--data`): the SQLite store, unless `database` names a server. */
  dataDir: string;
  /**
   * A PostgreSQL URL (`--database`, DETOURWATCH_DATABASE_URL; pg/database-url.ts checks it): the store is
   * that database instead of the SQLite file under `dataDir`. Absent or empty: SQLite.
   */
  database?: string | undefined;
  /** Create what is missing (serve, token create, import); false for commands that only read. */
  create: boolean;
  /** See SqliteStoreOptions.busyTimeoutMs: the coordinator waits a few ms, one-shot commands longer. */
  busyTimeoutMs?: number;
}

/**
 * The store the commands use, and the one place the engine is chosen: SQLite under `dataDir` by default,
 * PostgreSQL when `database` is given (loaded only then: the embedded default does not pay for it).
 */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  if (options.database !== undefined && options.database !== '') {
    const { openPostgresStore } = await import('./pg/open.ts');
    return openPostgresStore({ url: options.database, create: options.create });
  }
  return openSqliteStore(options);
}
