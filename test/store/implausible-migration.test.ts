/**
 * Schema step 4 lets `traces.verdict` be `implausible`. SQLite changes a CHECK only by rebuilding the table, so
 * this proves the rebuild keeps what hangs off `traces`: hop rows (ON DELETE CASCADE, which a careless rebuild
 * would fire), foreign hops, incident evidence, ids, indexes, and foreign keys that are enforced afterwards.
 */
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from '../../server/store/sqlite/migrate.ts';
import { MIGRATIONS } from '../../server/store/sqlite/schema.ts';

const open: Database.Database[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

/** A database the way the store opens one (foreign keys on), brought to `version`. */
function database(version: number): Database.Database {
  const db = new Database(':memory:');
  open.push(db);
  db.pragma('foreign_keys = ON');
  migrate(db, MIGRATIONS.slice(0, version));
  return db;
}

function insertTrace(db: Database.Database, verdict: string): number {
  const { lastInsertRowid } = db
    .prepare(
      `INSERT INTO traces (origin, tool, method, ip_version, started_at, verdict, home_country, countries,
         foreign_countries, foreign_asns, verdict_json, import_key)
       VALUES ('import', 'atlas', 'icmp', 4, 1760000000000, ?, 'US', '[]', '[]', '[]', '{}', ?)`,
    )
    .run(verdict, `key-${Math.random()}`);
  return Number(lastInsertRowid);
}

const count = (db: Database.Database, table: string) =>
  (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

const indexes = (db: Database.Database) =>
  db
    .prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'traces' ORDER BY name")
    .all();

describe('schema step 4: the implausible verdict', () => {
  it('before it, the store refuses the verdict', () => {
    const db = database(3);
    expect(() => insertTrace(db, 'implausible')).toThrow(/CHECK constraint/);
  });

  it('keeps every row that hangs off traces, their ids and the indexes, and then accepts implausible', () => {
    const db = database(3);
    const detour = insertTrace(db, 'detour');
    const domestic = insertTrace(db, 'domestic');
    const hop = db.prepare(
      'INSERT INTO hops (trace_id, ttl, seq, ip, rtt_ms, replies, status, country, asn) VALUES (?, ?, 0, ?, 5, 1, ?, ?, ?)',
    );
    hop.run(detour, 1, '192.0.2.1', 'home', 'US', 64500);
    hop.run(detour, 2, '198.51.100.1', 'foreign-confirmed', 'CN', 4134);
    hop.run(domestic, 1, '192.0.2.1', 'home', 'US', 64500);
    db.prepare(
      "INSERT INTO foreign_hops (trace_id, ttl, ip, country, asn, confirmed) VALUES (?, 2, '198.51.100.1', 'CN', 4134, 1)",
    ).run(detour);
    const incident = db
      .prepare(
        `INSERT INTO incidents (key, subject, destination_prefix, countries, asns, first_seen, last_seen, trace_count,
           confirmed_count, state, first_trace_id, last_trace_id)
         VALUES ('k', 's', '203.0.113.0/24', '["CN"]', '[4134]', 1, 1, 1, 1, 'open', ?, ?)`,
      )
      .run(detour, detour).lastInsertRowid;
    db.prepare('INSERT INTO incident_traces (incident_id, trace_id) VALUES (?, ?)').run(incident, detour);
    const before = {
      traces: db.prepare('SELECT * FROM traces ORDER BY id').all(),
      hops: db.prepare('SELECT * FROM hops ORDER BY trace_id, ttl').all(),
      foreignHops: db.prepare('SELECT * FROM foreign_hops').all(),
      evidence: db.prepare('SELECT * FROM incident_traces').all(),
      indexes: indexes(db),
    };
    expect(before.hops).toHaveLength(3);

    expect(migrate(db, MIGRATIONS.slice(0, 4))).toEqual({ from: 3, to: 4 });

    expect(db.prepare('SELECT * FROM traces ORDER BY id').all()).toEqual(before.traces);
    expect(db.prepare('SELECT * FROM hops ORDER BY trace_id, ttl').all()).toEqual(before.hops);
    expect(db.prepare('SELECT * FROM foreign_hops').all()).toEqual(before.foreignHops);
    expect(db.prepare('SELECT * FROM incident_traces').all()).toEqual(before.evidence);
    expect(indexes(db)).toEqual(before.indexes);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('foreign_key_check')).toEqual([]);

    const implausible = insertTrace(db, 'implausible');
    expect(implausible).toBeGreaterThan(domestic);
    expect(() => insertTrace(db, 'surely-not-a-verdict')).toThrow(/CHECK constraint/);
    // Foreign keys still hold, and deleting a trace still takes its hops with it.
    expect(() => hop.run(9999, 1, '192.0.2.1', 'home', 'US', 1)).toThrow(/FOREIGN KEY/);
    db.prepare('DELETE FROM traces WHERE id = ?').run(domestic);
    expect(count(db, 'hops')).toBe(2);
  });

  it('a new database takes every step and accepts implausible', () => {
    const db = database(MIGRATIONS.length);
    expect(insertTrace(db, 'implausible')).toBeGreaterThan(0);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
  });
});
