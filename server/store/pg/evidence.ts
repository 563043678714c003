import { EVIDENCE_FROM, EVIDENCE_SELECT, type EvidenceRow, traceEvidenceRecord } from '../evidence-rows.ts';
import type { EvidenceStore } from '../evidence-store.ts';
import { row } from './query.ts';
import type { PgState } from './state.ts';

export function pgEvidence(state: PgState): EvidenceStore {
  return {
    async traceEvidence(traceId) {
      const found = await row<EvidenceRow>(
        state.pool,
        `SELECT ${EVIDENCE_SELECT} FROM ${EVIDENCE_FROM} WHERE t.id = $1`,
        [traceId],
      );
      return found ? traceEvidenceRecord(found) : null;
    },
  };
}
