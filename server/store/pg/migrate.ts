import type { ClientBase } from 'pg';
import { DetourwatchError } from '../../../protocol/errors.ts';

/**
 * Any constant both sides agree on: coordinators started together serialise their migrations on it (a
 * transaction-level advisory lock, released by the commit).
 */
const MIGRATION_LOCK = 0x64770001;

/**
 * Brings the database to the newest schema. Each missing step runs in its own transaction that first takes
 * the migration lock and reads the version again, so two coordinators starting together apply every step
 * once (the second waits, then finds nothing left to do); a failed step rolls back whole and leaves the
 * database at the version before it. Refuses a database written by a newer detourwatch rather than guess.
 * Returns the version before and after.
 */
export async function migrate(
  client: ClientBase,
  migrations: readonly string[],
): Promise<{ from: number; to: number }> {
  let from: number | null = null;
  for (;;) {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await client.query(
        `CREATE TABLE IF NOT EXISTS schema_migrations (
           version integer PRIMARY KEY,
           applied_at bigint NOT NULL
         )`,
      );
      const version = Number(
        (await client.query('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations')).rows[0]?.v ?? 0,
      );
      from ??= version;
      if (version > migrations.length) {
        throw new DetourwatchError(
          'STORE_FAILED',
          `the database has schema version ${version} but this detourwatch knows only up to ${migrations.length}: ` +
            'it was written by a newer release; upgrade detourwatch or point --database elsewhere',
        );
      }
      if (version === migrations.length) {
        await client.query('COMMIT');
        return { from, to: version };
      }
      await client.query(migrations[version] ?? '');
      await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [
        version + 1,
        Date.now(),
      ]);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      if (err instanceof DetourwatchError) throw err;
      throw new DetourwatchError(
        'STORE_FAILED',
        `cannot bring the PostgreSQL schema to version ${migrations.length}: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
}

/** The schema version, null when the database has no detourwatch schema (no `schema_migrations`). */
export async function schemaVersion(client: ClientBase): Promise<number | null> {
  const exists = await client.query("SELECT to_regclass('schema_migrations') IS NOT NULL AS e");
  if (exists.rows[0]?.e !== true) return null;
  const r = await client.query('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations');
  return Number(r.rows[0]?.v ?? 0);
}
