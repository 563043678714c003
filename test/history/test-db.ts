import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from '../../server/store/sqlite-migrate.ts';
import { MIGRATIONS } from '../../server/store/sqlite-schema.ts';

/** A real SQLite database in a temporary directory, at the newest schema. */
export function openTestDb(): { db: Database.Database; file: string; cleanup(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'detourwatch-history-'));
  const file = path.join(dir, 'detourwatch.sqlite');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  migrate(db, MIGRATIONS);
  return {
    db,
    file,
    cleanup() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
