import type { PurgeCounts, RetentionStore } from '../retention-store.ts';
import { existingPartitions, monthOf, monthStart } from './partitions.ts';
import { changes, row, rows } from './query.ts';
import { HOPS_DROPPED_BEFORE, type PgState } from './state.ts';
import { inTransaction, isTransient } from './transaction.ts';

/** How long a drop waits for the parent's lock before it gives way to the ingest (and tries next time). */
const DROP_LOCK_TIMEOUT = '2s';

/**
 * Retention on PostgreSQL: the months of hops wholly before the cutoff are DROPPED, one partition per short
 * transaction, instead of deleting their rows; only the month the cutoff falls in (the partial edge) is
 * deleted row by row, `batch` traces at a time, as on SQLite. A dropped month moves `hops.dropped_before`
 * (history_state) to its end: every trace started before it reads as purged (traceDetail), and a late
 * trace of such a month is stored without hops (traces.ts). Raw outputs are emptied in batches as on SQLite
 * (`results` is not partitioned: its result_id must stay unique across all time).
 *
 * The count of hop rows a drop removed is the planner's estimate once the month has been analysed
 * (counting a month of hops would read all of it); an unanalysed month is counted.
 */
export function pgRetention(state: PgState): RetentionStore {
  const { pool } = state;

  /** Drops one month of hops; false when its lock was not had in time (the ingest goes first). */
  async function dropMonth(month: number, name: string, counts: PurgeCounts): Promise<boolean> {
    const lo = monthStart(month);
    const hi = monthStart(month + 1);
    try {
      await inTransaction(pool, async (client) => {
        await client.query(`SET LOCAL lock_timeout = '${DROP_LOCK_TIMEOUT}'`);
        const traces = await row<{ n: number }>(
          client,
          `SELECT COUNT(*) AS n FROM traces
           WHERE hops_purged_at IS NULL AND started_at >= GREATEST($1::bigint, COALESCE(
             (SELECT value FROM history_state WHERE name = $3), 0)) AND started_at < $2`,
          [lo, hi, HOPS_DROPPED_BEFORE],
        );
        const estimate = await row<{ n: number }>(
          client,
          'SELECT reltuples::bigint AS n FROM pg_class WHERE oid = $1::regclass',
          [name],
        );
        const hops =
          estimate !== null && estimate.n >= 0
            ? estimate.n
            : ((await row<{ n: number }>(client, `SELECT COUNT(*) AS n FROM ${name}`))?.n ?? 0);
        await client.query(
          `INSERT INTO history_state (name, value) VALUES ($1, $2)
           ON CONFLICT (name) DO UPDATE SET value = GREATEST(history_state.value, excluded.value)`,
          [HOPS_DROPPED_BEFORE, hi],
        );
        await client.query(`DROP TABLE ${name}`);
        counts.traces += traces?.n ?? 0;
        counts.hops += hops;
      });
    } catch (err) {
      if ((err as { code?: string }).code === '55P03') return false;
      throw err;
    }
    state.partitions.forget();
    state.hopsDroppedBefore = Math.max(state.hopsDroppedBefore, hi);
    return true;
  }

  return {
    async purgeRawData(cutoff, batch, now) {
      const counts: PurgeCounts = { traces: 0, hops: 0, outputs: 0 };
      const edgeMonth = monthOf(cutoff);
      const whole = [...(await existingPartitions(pool, 'hops'))]
        .filter(([month]) => month < edgeMonth)
        .sort(([a], [b]) => a - b);
      for (const [month, name] of whole) {
        // Oldest first, so `hops.dropped_before` always means "nothing older is left".
        if (!(await dropMonth(month, name, counts))) return counts;
      }
      await inTransaction(pool, async (client) => {
        // Months before the edge that never had a partition hold no hops either: their traces count as
        // purged too (as SQLite marks them), and the mark moves to the edge.
        const hopless = await row<{ n: number }>(
          client,
          `SELECT COUNT(*) AS n FROM traces
           WHERE hops_purged_at IS NULL AND started_at < $1 AND started_at >= COALESCE(
             (SELECT value FROM history_state WHERE name = $2), 0)`,
          [monthStart(edgeMonth), HOPS_DROPPED_BEFORE],
        );
        counts.traces += hopless?.n ?? 0;
        await client.query(
          `INSERT INTO history_state (name, value) VALUES ($1, $2)
           ON CONFLICT (name) DO UPDATE SET value = GREATEST(history_state.value, excluded.value)`,
          [HOPS_DROPPED_BEFORE, monthStart(edgeMonth)],
        );
        const old = await rows<{ id: number; started_at: number }>(
          client,
          `SELECT id, started_at FROM traces
           WHERE hops_purged_at IS NULL AND started_at < $1 AND started_at >= $2
           ORDER BY started_at LIMIT $3 FOR UPDATE`,
          [cutoff, monthStart(edgeMonth), batch],
        );
        if (old.length > 0) {
          const keys = [old.map((t) => t.id), old.map((t) => t.started_at)];
          counts.hops += await changes(
            client,
            `DELETE FROM hops WHERE (trace_id, started_at) IN (SELECT * FROM unnest($1::bigint[], $2::bigint[]))`,
            keys,
          );
          await client.query(
            `UPDATE traces SET hops_purged_at = $3
             WHERE (id, started_at) IN (SELECT * FROM unnest($1::bigint[], $2::bigint[]))`,
            [...keys, now],
          );
          counts.traces += old.length;
        }
        counts.outputs += await changes(
          client,
          `UPDATE results SET output = '' WHERE id IN
             (SELECT id FROM results WHERE output <> '' AND received_at < $1 ORDER BY received_at LIMIT $2)`,
          [cutoff, batch],
        );
      }).catch((err) => {
        // Busy: the next run does it.
        if (!isTransient(err)) throw err;
      });
      state.hopsDroppedBefore = Math.max(state.hopsDroppedBefore, monthStart(edgeMonth));
      return counts;
    },
  };
}
