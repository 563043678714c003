import type Database from 'better-sqlite3';
import { DetourwatchError } from '../../../protocol/errors.ts';

/**
 * Brings the database to the newest schema, one migration per transaction, so a crash mid-way leaves a
 * database at a known version. Refuses a database written by a newer detourwatch rather than guess.
 * Returns the version before and after.
 */
export function migrate(db: Database.Database, migrations: readonly string[]): { from: number; to: number } {
  const from = db.pragma('user_version', { simple: true });
  if (typeof from !== 'number' || !Number.isInteger(from) || from < 0) {
    throw new DetourwatchError('STORE_FAILED', `the database reports schema version ${String(from)}`);
  }
  if (from > migrations.length) {
    throw new DetourwatchError(
      'STORE_FAILED',
      `the database has schema version ${from} but this detourwatch knows only up to ${migrations.length}: ` +
        'it was written by a newer release; upgrade detourwatch or point --data elsewhere',
    );
  }
  // A migration that rebuilds a table (SQLite's way to change a constraint) drops the old one: with foreign
  // keys on, that would cascade into its children. They are off while migrating (the pragma is ignored inside
  // a transaction) and checked before each commit instead.
  const foreignKeys = db.pragma('foreign_keys', { simple: true }) === 1;
  if (from < migrations.length) db.pragma('foreign_keys = OFF');
  try {
    for (let version = from; version < migrations.length; version++) {
      const sql = migrations[version] ?? '';
      // IMMEDIATE takes the write lock before reading the version again: two processes opening a fresh
      // data directory at once (serve and token create) must not both run the same step.
      db.transaction(() => {
        if (db.pragma('user_version', { simple: true }) !== version) return;
        db.exec(sql);
        const dangling = db.pragma('foreign_key_check') as unknown[];
        if (dangling.length > 0) {
          throw new DetourwatchError(
            'STORE_FAILED',
            `schema step ${version + 1} would leave ${dangling.length} rows pointing at nothing, so it was not applied`,
          );
        }
        db.pragma(`user_version = ${version + 1}`);
      }).immediate();
    }
  } finally {
    if (foreignKeys) db.pragma('foreign_keys = ON');
  }
  return { from, to: migrations.length };
}
