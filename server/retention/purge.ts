import type Database from 'better-sqlite3';

export interface PurgeCounts {
  /** Traces whose raw hop rows were deleted. */
  traces: number;
  hops: number;
  /** Raw agent outputs emptied. */
  outputs: number;
}

/**
 * Deletes raw data older than the cutoff, one small batch per call, each in its own short transaction so
 * ingest never waits long for the write lock: the hop rows of at most `batch` traces (the trace row, its
 * verdict with the foreign hops' evidence, and its incident stay), and at most `batch` raw agent outputs.
 * Both queries walk partial indexes of what is still kept, so the work never grows with what is gone.
 */
export function createPurger(db: Database.Database) {
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

  return db.transaction((cutoff: number, batch: number, now: number): PurgeCounts => {
    const ids = oldTraces.all(cutoff, batch) as number[];
    let hops = 0;
    for (const id of ids) {
      hops += deleteHops.run(id).changes;
      markPurged.run(now, id);
    }
    const outputs = emptyOutputs.run(cutoff, batch).changes;
    return { traces: ids.length, hops, outputs };
  });
}
