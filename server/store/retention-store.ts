export interface PurgeCounts {
  /** Traces whose raw hop rows were deleted. */
  traces: number;
  hops: number;
  /** Raw agent outputs emptied. */
  outputs: number;
}

/** Deletion of old raw data; verdicts, their evidence and incidents stay. */
export interface RetentionStore {
  /**
   * One small batch, in its own short transaction so ingest never waits long for the write lock: the hop
   * rows of at most `batch` traces started before `cutoff` (marked purged at `now`), and at most `batch` raw
   * agent outputs received before it. Times are epoch ms. Never rescans what is already gone.
   */
  purgeRawData(cutoff: number, batch: number, now: number): Promise<PurgeCounts>;
}
