/**
 * For the benchmarks only (bench/ceiling.ts): the least a store must write per traceroute, as a floor to
 * measure the product's store against. One trace row and one row per hop, batched in one transaction per
 * call, WAL with synchronous=NORMAL; no verdict, no raw output, no index beyond the keys. Synchronous on
 * purpose: it measures SQLite, not the promise machinery of the store interfaces.
 */
import { rmSync } from 'node:fs';
import Database from 'better-sqlite3';

export interface CeilingHop {
  ttl: number;
  ip: string | null;
  rtt: number | null;
  country: string | null;
  asn: number | null;
}

export interface CeilingTrace {
  source: string | null;
  destination: string | null;
  /** Epoch ms. */
  startedAt: number;
  hops: CeilingHop[];
}

export interface CeilingWriter {
  /** One transaction. */
  write(batch: readonly CeilingTrace[]): void;
  close(): void;
}

/** A fresh database at `file` (an old one and its WAL are deleted first). */
export function openCeilingWriter(file: string): CeilingWriter {
  for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`
    CREATE TABLE traces (id INTEGER PRIMARY KEY, source TEXT, destination TEXT, started_at INTEGER, hop_count INTEGER);
    CREATE TABLE hops (trace_id INTEGER NOT NULL, ttl INTEGER NOT NULL, ip TEXT, rtt_ms REAL, country TEXT,
      asn INTEGER, PRIMARY KEY (trace_id, ttl)) WITHOUT ROWID;`);
  const insertTrace = db.prepare(
    'INSERT INTO traces (source, destination, started_at, hop_count) VALUES (?, ?, ?, ?)',
  );
  const insertHop = db.prepare(
    'INSERT INTO hops (trace_id, ttl, ip, rtt_ms, country, asn) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const write = db.transaction((batch: readonly CeilingTrace[]) => {
    for (const t of batch) {
      const { lastInsertRowid } = insertTrace.run(t.source, t.destination, t.startedAt, t.hops.length);
      for (const h of t.hops) insertHop.run(lastInsertRowid, h.ttl, h.ip, h.rtt, h.country, h.asn);
    }
  });
  return { write: (batch) => write(batch), close: () => db.close() };
}
