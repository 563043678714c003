import type { EngineName } from '../../protocol/messages.ts';

/** A result exactly as its agent sent it, with what ingest recorded about it. Times are ISO 8601. */
export interface RawResult {
  resultId: string;
  agentId: string;
  taskId: string | null;
  target: string;
  engine: EngineName;
  startedAt: string;
  durationMs: number;
  receivedAt: string;
  /** Empty when retention deleted it. */
  output: string;
  error: string | null;
}

/** What an evidence bundle (server/evidence) reads of a trace beyond its history detail. */
export interface TraceEvidenceRecord {
  traceId: number;
  /** Where the prober said it was when it measured (the agent's declared location, or the Atlas probe's). */
  sourcePosition: { lat: number; lon: number } | null;
  /** The agent's result the trace was parsed from; null for imported traces. */
  result: RawResult | null;
}

/** The raw material of evidence bundles: one short read per trace. */
export interface EvidenceStore {
  traceEvidence(traceId: number): Promise<TraceEvidenceRecord | null>;
}
