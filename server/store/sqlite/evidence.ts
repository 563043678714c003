import type Database from 'better-sqlite3';
import { EVIDENCE_FROM, EVIDENCE_SELECT, type EvidenceRow, traceEvidenceRecord } from '../evidence-rows.ts';
import type { EvidenceStore } from '../evidence-store.ts';

export function sqliteEvidence(db: Database.Database): EvidenceStore {
  const trace = db.prepare(`SELECT ${EVIDENCE_SELECT} FROM ${EVIDENCE_FROM} WHERE t.id = ?`);
  return {
    async traceEvidence(traceId) {
      const row = trace.get(traceId) as EvidenceRow | undefined;
      return row ? traceEvidenceRecord(row) : null;
    },
  };
}
