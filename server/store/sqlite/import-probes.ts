import type Database from 'better-sqlite3';
import type { ImportProbeStore } from '../import-probe-store.ts';

export function sqliteImportProbes(db: Database.Database): ImportProbeStore {
  const set = db.prepare("UPDATE traces SET probe_id = ? WHERE id = ? AND origin = 'import'");
  const all = db.transaction((pairs: readonly { traceId: number; probeId: number }[]) => {
    for (const p of pairs) set.run(p.probeId, p.traceId);
  });
  return {
    async recordProbeIds(pairs) {
      if (pairs.length > 0) all.immediate(pairs);
    },
  };
}
