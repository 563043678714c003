import type { Pool } from 'pg';
import type { ImportProbeStore } from '../import-probe-store.ts';

export function pgImportProbes(pool: Pool): ImportProbeStore {
  return {
    async recordProbeIds(pairs) {
      if (pairs.length === 0) return;
      await pool.query(
        `UPDATE traces t SET probe_id = u.probe_id FROM unnest($1::bigint[], $2::bigint[]) AS u(id, probe_id)
         WHERE t.id = u.id AND t.origin = 'import'`,
        [pairs.map((p) => p.traceId), pairs.map((p) => p.probeId)],
      );
    },
  };
}
