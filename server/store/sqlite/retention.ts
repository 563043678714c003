import type Database from 'better-sqlite3';
import type { PurgeCounts, RetentionStore } from '../retention-store.ts';

/**
 * Both queries walk partial indexes of what is still kept (traces_hops_kept, results_output_kept), so the
 * work never grows with what is gone.
 */
export function sqliteRetention(db: Database.Database): RetentionStore {
  const oldTraces = db
    .prepare(
      'SELECT id FROM traces WHERE hops_purged_at IS NULL AND started_at < ? ORDER BY started_at LIMIT ?',
    )
    .pluck();
  const deleteHops = db.prepare('DELETE FROM hops WHERE trace_id = ?');
  const markPurged = db.prepare('UPDATE traces SET hops_purged_at = ? WHERE id = ?');
  const emptyOutputs = db.prepare(
    `UPDATE results SET output = '' WHERE id IN
       (SELECT id FROM results WHERE output <> '' AND received_at < ? ORDER BY received_at LIMIT ?)`,
  );
  const purge = db.transaction((cutoff: number, batch: number, now: number): PurgeCounts => {
    const ids = oldTraces.all(cutoff, batch) as number[];
    let hops = 0;
    for (const id of ids) {
      hops += deleteHops.run(id).changes;
      markPurged.run(now, id);
    }
    const outputs = emptyOutputs.run(cutoff, batch).changes;
    return { traces: ids.length, hops, outputs };
  });
  return {
    async purgeRawData(cutoff, batch, now) {
      return purge.immediate(cutoff, batch, now);
    },
  };
}
