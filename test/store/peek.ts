import path from 'node:path';
import Database from 'better-sqlite3';
import { DATABASE_FILE } from '../../server/store/sqlite/open.ts';

/**
 * A read-only second connection to a data directory's SQLite file, as another process would open it: for
 * tests that check what is on disk (rows the store's interfaces do not show, such as raw hop rows).
 */
export function peek<T>(dataDir: string, read: (db: Database.Database) => T): T {
  const db = new Database(path.join(dataDir, DATABASE_FILE), { readonly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

/** One number from a query (`SELECT COUNT(*) ...`). */
export function peekCount(dataDir: string, sql: string): number {
  return peek(dataDir, (db) => db.prepare(sql).pluck().get() as number);
}
