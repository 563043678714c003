import type { Pool } from 'pg';
import type { IncidentBinding } from '../incident-store.ts';
import type { Partitions } from './partitions.ts';
import { row } from './query.ts';

/** history_state: the highest trace id the incident fold has seen (where catch-up resumes). */
export const INCIDENT_WATERMARK = 'incidents.last_trace_id';
/** history_state: every hop started before this instant is gone (retention dropped its month). */
export const HOPS_DROPPED_BEFORE = 'hops.dropped_before';

/** What the groups of one PostgreSQL store share. */
export interface PgState {
  pool: Pool;
  partitions: Partitions;
  /** The fold bound for trace writes (IncidentStore.setIncidentFold). */
  slot: { binding: IncidentBinding | null };
  /** HOPS_DROPPED_BEFORE as last read; a write below it stores no hops. */
  hopsDroppedBefore: number;
  refreshHopsDroppedBefore(): Promise<void>;
}

export function pgState(pool: Pool, partitions: Partitions): PgState {
  const state: PgState = {
    pool,
    partitions,
    slot: { binding: null },
    hopsDroppedBefore: 0,
    async refreshHopsDroppedBefore() {
      const found = await row<{ value: number }>(pool, 'SELECT value FROM history_state WHERE name = $1', [
        HOPS_DROPPED_BEFORE,
      ]);
      state.hopsDroppedBefore = found?.value ?? 0;
    },
  };
  return state;
}
