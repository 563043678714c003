/**
 * Issue 13's schema step lets `traces.origin` be `paste` and adds `saved_by`. SQLite widens a CHECK only by
 * rebuilding the table, so this proves the rebuild keeps what the step before it had: every column and every
 * index of `traces` (a column another step added earlier and the rebuild forgot would be lost here), the rows
 * with their ids, and the hops hanging off them.
 */
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { migrate } from '../../server/store/sqlite/migrate.ts';
import { MIGRATIONS } from '../../server/store/sqlite/schema.ts';

const STEP = MIGRATIONS.findIndex((m) => m.includes('CREATE TABLE traces_v13'));
const open: Database.Database[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

function database(version: number): Database.Database {
  const db = new Database(':memory:');
  open.push(db);
  db.pragma('foreign_keys = ON');
  migrate(db, MIGRATIONS.slice(0, version));
  return db;
}

const columns = (db: Database.Database) =>
  (db.pragma('table_info(traces)') as { name: string; type: string; notnull: number }[]).map(
    (c) => `${c.name} ${c.type}${c.notnull ? ' NOT NULL' : ''}`,
  );
const indexes = (db: Database.Database) =>
  (
    db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'traces'").all() as {
      name: string;
      sql: string | null;
    }[]
  )
    .map((i) => `${i.name}: ${i.sql}`)
    .sort();

const insert = (db: Database.Database, origin: string) =>
  Number(
    db
      .prepare(
        `INSERT INTO traces (origin, tool, method, ip_version, started_at, verdict, home_country, countries,
           foreign_countries, foreign_asns, verdict_json, import_key)
         VALUES (?, 'traceroute', 'icmp', 4, 1760000000000, 'domestic', 'US', '[]', '[]', '[]', '{}', ?)`,
      )
      .run(origin, `key-${origin}-${Math.random()}`).lastInsertRowid,
  );

it('is the last step that rebuilds traces, and keeps every column, index, row and hop before it', () => {
  expect(STEP).toBeGreaterThan(0);
  const db = database(STEP);
  const before = { columns: columns(db), indexes: indexes(db) };
  expect(() => insert(db, 'paste')).toThrow(/CHECK constraint failed/);
  const id = insert(db, 'import');
  db.prepare('INSERT INTO hops (trace_id, ttl, seq, ip, rtt_ms, replies) VALUES (?, 1, 0, ?, 1.5, 1)').run(
    id,
    '192.0.2.1',
  );
  migrate(db, MIGRATIONS.slice(0, STEP + 1));

  expect(columns(db)).toEqual([...before.columns, 'saved_by TEXT']);
  expect(indexes(db)).toEqual(before.indexes);
  expect(db.prepare('SELECT origin FROM traces WHERE id = ?').pluck().get(id)).toBe('import');
  expect(db.prepare('SELECT ip FROM hops WHERE trace_id = ?').pluck().all(id)).toEqual(['192.0.2.1']);
  const pasted = insert(db, 'paste');
  expect(pasted).toBeGreaterThan(id);
  expect(() => insert(db, 'elsewhere')).toThrow(/CHECK constraint failed/);
  // Foreign keys still hold: a hop of no trace is refused.
  expect(() =>
    db
      .prepare(
        'INSERT INTO hops (trace_id, ttl, seq, ip, rtt_ms, replies) VALUES (999999, 1, 0, NULL, NULL, 0)',
      )
      .run(),
  ).toThrow(/FOREIGN KEY/);
  // The newest schema (any later steps) still has the origin and the column.
  migrate(db, MIGRATIONS);
  expect(columns(db)).toContain('saved_by TEXT');
});
