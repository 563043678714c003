import type Database from 'better-sqlite3';
import { EVENTS_PRUNED_THROUGH, typeFilter } from '../event-rows.ts';
import type { EventStore, NewEvent, StoredEvent } from '../event-store.ts';

/**
 * Appends events; call it only inside a write transaction (the trace writer's, a sweep's), so the events
 * commit or roll back with what they report. Resolves with their seqs.
 */
export type InsertEvents = (events: readonly NewEvent[]) => number[];

/**
 * The event stream on SQLite. One writer at a time (every write transaction is IMMEDIATE), so seqs are taken
 * in commit order and a reader of `seq > last` can never see a later seq before an earlier one commits.
 * Other processes sharing the file are seen by polling; this process's own writes wake its readers at once.
 */
export function sqliteEvents(db: Database.Database): { events: EventStore; insertEvents: InsertEvents } {
  const s = {
    insert: db.prepare('INSERT INTO events (type, at, data) VALUES (?, ?, ?)'),
    after: db.prepare(
      `SELECT seq, type, at, data FROM events
       WHERE seq > ? AND (? IS NULL OR type IN (SELECT value FROM json_each(?))) ORDER BY seq LIMIT ?`,
    ),
    pruned: db.prepare('SELECT value FROM history_state WHERE name = ?').pluck(),
    last: db.prepare('SELECT MAX(seq) FROM events').pluck(),
    newestBefore: db.prepare('SELECT MAX(seq) FROM events WHERE at < ?').pluck(),
    nthNewest: db.prepare('SELECT seq FROM events ORDER BY seq DESC LIMIT 1 OFFSET ?').pluck(),
    deleteThrough: db.prepare('DELETE FROM events WHERE seq <= ?'),
    mark: db.prepare(
      `INSERT INTO history_state (name, value) VALUES (?, ?)
       ON CONFLICT (name) DO UPDATE SET value = MAX(value, excluded.value)`,
    ),
  };
  const watchers = new Set<() => void>();
  let wakeQueued = false;

  const prunedThrough = (): number => (s.pruned.get(EVENTS_PRUNED_THROUGH) as number | undefined) ?? 0;

  const insertEvents: InsertEvents = (events) => {
    const seqs = events.map((e) =>
      Number(s.insert.run(e.type, e.at, JSON.stringify(e.data)).lastInsertRowid),
    );
    // After the transaction: better-sqlite3's transactions are synchronous, so by then it has committed (or
    // rolled back: a wake for nothing costs one read).
    if (seqs.length > 0 && watchers.size > 0 && !wakeQueued) {
      wakeQueued = true;
      setImmediate(() => {
        wakeQueued = false;
        for (const wake of watchers) wake();
      });
    }
    return seqs;
  };

  const events: EventStore = {
    async appendEvents(list) {
      return db.transaction(() => insertEvents(list)).immediate();
    },
    async eventsAfter(seq, options) {
      const types = typeFilter(options.types);
      const json = types === null ? null : JSON.stringify(types);
      return {
        events: s.after.all(seq, json, json, options.limit) as StoredEvent[],
        prunedThrough: prunedThrough(),
      };
    },
    async lastEventSeq() {
      return Math.max((s.last.get() as number | null) ?? 0, prunedThrough());
    },
    async pruneEvents(options) {
      return db
        .transaction(() => {
          let through = (s.newestBefore.get(options.before) as number | null) ?? 0;
          const keep = Math.max(0, Math.floor(options.keep ?? 0));
          if (keep > 0) {
            const kept = s.nthNewest.get(keep - 1) as number | undefined;
            through = kept === undefined ? 0 : Math.min(through, kept - 1);
          }
          if (through <= prunedThrough()) return 0;
          const deleted = s.deleteThrough.run(through).changes;
          s.mark.run(EVENTS_PRUNED_THROUGH, through);
          return deleted;
        })
        .immediate();
    },
    async watchEvents(wake) {
      watchers.add(wake);
      return async () => {
        watchers.delete(wake);
      };
    },
  };
  return { events, insertEvents };
}
