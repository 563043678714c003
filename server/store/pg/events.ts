import type { ClientBase, Client as PgClient, Pool } from 'pg';
import { EVENTS_PRUNED_THROUGH, typeFilter } from '../event-rows.ts';
import type { EventStore, NewEvent, StoredEvent } from '../event-store.ts';
import { rows } from './query.ts';
import { inTransaction, writeFailure } from './transaction.ts';

/**
 * Every transaction that appends events takes this transaction-level advisory lock right before it takes
 * their seqs, and holds it to its COMMIT. So seq order is commit order across every coordinator: a writer
 * that took seq n has committed (and is visible) before any other can take a seq above n. A reader that
 * polls `seq > last` therefore never sees seq n+1 while n is still to commit, and skips nothing; a
 * rolled-back writer leaves a gap nobody waits for.
 *
 * The cost: appending events (the last step of a trace batch, a sweep) is serialised across the cluster from
 * the lock to the commit's WAL flush: three round trips and one flush per batch. NOTIFY already takes a
 * cluster-wide lock at commit, so the stream's wake-up costs that much anyway; batches of results keep it one
 * lock per batch, not per trace. The alternative, reading only below the oldest running writer's seq,
 * needs no lock but makes every reader track in-flight transactions.
 */
export const EVENTS_LOCK = 0x64770012;
/** The NOTIFY channel; the payload is the newest seq of the committing transaction. */
export const EVENTS_CHANNEL = 'detourwatch_events';
/** How long a lost LISTEN connection waits before it connects again (polling covers the gap). */
const RELISTEN_MS = 2000;

/** Appends events on `client`, inside its transaction (which must commit soon: it holds the lock). */
export async function insertEvents(client: ClientBase, events: readonly NewEvent[]): Promise<number[]> {
  if (events.length === 0) return [];
  await client.query('SELECT pg_advisory_xact_lock($1)', [EVENTS_LOCK]);
  const seqs = (
    await rows<{ seq: number }>(
      client,
      `INSERT INTO events (type, at, data)
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[])
       RETURNING seq`,
      [events.map((e) => e.type), events.map((e) => e.at), events.map((e) => JSON.stringify(e.data))],
    )
  )
    .map((r) => r.seq)
    .sort((a, b) => a - b);
  // Delivered to every listener at COMMIT, and not at all on ROLLBACK.
  await client.query('SELECT pg_notify($1, $2)', [EVENTS_CHANNEL, String(seqs[seqs.length - 1])]);
  return seqs;
}

export function pgEvents(pool: Pool, connect: () => Promise<PgClient>): EventStore {
  return {
    async appendEvents(list) {
      if (list.length === 0) return [];
      try {
        return await inTransaction(pool, (client) => insertEvents(client, list));
      } catch (err) {
        throw writeFailure(err, `${list.length} event(s)`);
      }
    },

    async eventsAfter(seq, options) {
      // One statement, one snapshot: the retention mark and the events agree (a prune commits both at once).
      const found = await rows<{ pruned: number } & { [K in keyof StoredEvent]: StoredEvent[K] | null }>(
        pool,
        `SELECT COALESCE((SELECT value FROM history_state WHERE name = $1), 0) AS pruned,
           e.seq, e.type, e.at, e.data
         FROM (VALUES (1)) AS one (n)
         LEFT JOIN LATERAL (
           SELECT seq, type, at, data FROM events
           WHERE seq > $2 AND ($3::text[] IS NULL OR type = ANY($3::text[]))
           ORDER BY seq LIMIT $4
         ) e ON true
         ORDER BY e.seq`,
        [EVENTS_PRUNED_THROUGH, seq, typeFilter(options.types), options.limit],
      );
      return {
        events: found.flatMap((r) =>
          r.seq === null ? [] : [{ seq: r.seq, type: r.type ?? '', at: r.at ?? 0, data: r.data ?? 'null' }],
        ),
        prunedThrough: found[0]?.pruned ?? 0,
      };
    },

    async lastEventSeq() {
      const [found] = await rows<{ last: number }>(
        pool,
        `SELECT GREATEST(COALESCE((SELECT MAX(seq) FROM events), 0),
           COALESCE((SELECT value FROM history_state WHERE name = $1), 0)) AS last`,
        [EVENTS_PRUNED_THROUGH],
      );
      return found?.last ?? 0;
    },

    async pruneEvents(options) {
      try {
        return await inTransaction(pool, async (client) => {
          const [bounds] = await rows<{ before: number | null; kept: number | null; pruned: number | null }>(
            client,
            `SELECT (SELECT MAX(seq) FROM events WHERE at < $1) AS before,
               (SELECT seq FROM events ORDER BY seq DESC OFFSET $2 LIMIT 1) AS kept,
               (SELECT value FROM history_state WHERE name = $3) AS pruned`,
            [options.before, Math.max(0, Math.floor(options.keep ?? 0) - 1), EVENTS_PRUNED_THROUGH],
          );
          let through = bounds?.before ?? 0;
          if ((options.keep ?? 0) >= 1)
            through = bounds?.kept == null ? 0 : Math.min(through, bounds.kept - 1);
          if (through <= (bounds?.pruned ?? 0)) return 0;
          const deleted = await client.query('DELETE FROM events WHERE seq <= $1', [through]);
          await client.query(
            `INSERT INTO history_state (name, value) VALUES ($1, $2)
             ON CONFLICT (name) DO UPDATE SET value = GREATEST(history_state.value, excluded.value)`,
            [EVENTS_PRUNED_THROUGH, through],
          );
          return deleted.rowCount ?? 0;
        });
      } catch (err) {
        throw writeFailure(err, 'the event retention');
      }
    },

    async watchEvents(wake) {
      let stopped = false;
      let client: PgClient | null = null;
      let retry: NodeJS.Timeout | null = null;
      const listen = async (): Promise<void> => {
        retry = null;
        if (stopped) return;
        const next = await connect().catch(() => null);
        if (next === null) {
          retry = setTimeout(() => void listen(), RELISTEN_MS);
          retry.unref();
          return;
        }
        let lost = false;
        const again = (): void => {
          if (lost) return;
          lost = true;
          next.removeAllListeners('notification');
          next.end().catch(() => {});
          if (client === next) client = null;
          if (!stopped && retry === null) {
            retry = setTimeout(() => void listen(), RELISTEN_MS);
            retry.unref();
          }
        };
        next.on('error', again);
        next.on('end', again);
        next.on('notification', (n) => {
          if (n.channel === EVENTS_CHANNEL) wake();
        });
        try {
          await next.query(`LISTEN ${EVENTS_CHANNEL}`);
        } catch {
          again();
          return;
        }
        if (stopped) {
          await next.end().catch(() => {});
          return;
        }
        client = next;
        // Whatever was appended while no connection listened.
        wake();
      };
      await listen();
      return async () => {
        stopped = true;
        if (retry) clearTimeout(retry);
        const open = client;
        client = null;
        open?.removeAllListeners();
        open?.on('error', () => {});
        await open?.end().catch(() => {});
      };
    },
  };
}
