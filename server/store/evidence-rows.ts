/**
 * The evidence read's columns and row mapping, shared by sqlite/evidence.ts and pg/evidence.ts (rows.ts keeps
 * the other groups'). Times are epoch ms in both engines.
 */
import type { EngineName } from '../../protocol/messages.ts';
import type { TraceEvidenceRecord } from './evidence-store.ts';
import { iso } from './rows.ts';

export const EVIDENCE_SELECT = `t.id AS trace_id, t.source_lat, t.source_lon, r.result_id, r.agent_id, r.task_id,
  r.target, r.engine, r.started_at, r.duration_ms, r.received_at, r.output, r.error`;

export const EVIDENCE_FROM = 'traces t LEFT JOIN results r ON r.id = t.result_id';

export interface EvidenceRow {
  trace_id: number;
  source_lat: number | null;
  source_lon: number | null;
  result_id: string | null;
  agent_id: string | null;
  task_id: string | null;
  target: string | null;
  engine: EngineName | null;
  started_at: number | null;
  duration_ms: number | null;
  received_at: number | null;
  output: string | null;
  error: string | null;
}

export function traceEvidenceRecord(r: EvidenceRow): TraceEvidenceRecord {
  const position =
    r.source_lat === null || r.source_lon === null ? null : { lat: r.source_lat, lon: r.source_lon };
  return {
    traceId: Number(r.trace_id),
    sourcePosition: position,
    result:
      r.result_id === null
        ? null
        : {
            resultId: r.result_id,
            agentId: r.agent_id ?? '',
            taskId: r.task_id,
            target: r.target ?? '',
            engine: r.engine ?? 'traceroute',
            startedAt: iso(Number(r.started_at)),
            durationMs: Number(r.duration_ms),
            receivedAt: iso(Number(r.received_at)),
            output: r.output ?? '',
            error: r.error,
          },
  };
}
