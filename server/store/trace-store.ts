import type { StoredHop, TraceOrigin, TraceSummary } from '../../protocol/history-api.ts';
import type { EngineName } from '../../protocol/messages.ts';
import type { Trace } from '../../protocol/trace.ts';
import type { Verdict } from '../../protocol/verdict.ts';

/** One parsed trace and its verdict, ready to store. */
export interface TraceRecord {
  origin: TraceOrigin;
  agentId: string | null;
  trace: Trace;
  verdict: Verdict;
  /** Where the prober was (an Atlas probe's location); agents' traces take the agent's location. */
  sourcePosition?: { lat: number; lon: number } | null;
  /** The path's ASNs in order, from the annotated trace; what baselines compare. */
  pathAsns?: number[] | null;
  /** It arrived long after it started (`serve --late-after`, server/ingest/late.ts); stored with the trace. */
  late?: boolean;
}

/** An imported trace: `importKey` identifies it, so importing the same results twice stores them once. */
export interface ImportRecord extends TraceRecord {
  importKey: string;
  /** A saved paste (origin `paste`, issue 13): the name of the operator key that saved it. */
  savedBy?: string | null;
}

/** A raw result exactly as an agent sent it, plus what parsing made of it. Stored even when it did not parse. */
export interface ResultRecord {
  resultId: string;
  agentId: string;
  taskId: string | null;
  target: string;
  engine: EngineName;
  startedAt: string;
  durationMs: number;
  receivedAt: string;
  output: string;
  /** Why (part of) the output could not be parsed or judged; null when every trace in it was. */
  error: string | null;
  traces: TraceRecord[];
}

/** `duplicate`: a result with this resultId was already stored; nothing was written. */
export type WriteOutcome = 'stored' | 'duplicate';

export interface StoredTrace extends TraceSummary {
  verdictDetail: Verdict;
  hops: StoredHop[];
  /** A saved paste: the name of the operator key that saved it (absent for other traces). */
  savedBy?: string;
}

export interface StoreCounts {
  tokens: number;
  agents: number;
  agentsConnected: number;
  results: number;
  resultsWithErrors: number;
  traces: number;
}

/**
 * Results, traces and their hops. Both writes run in ONE transaction with the incident fold bound through
 * `IncidentStore.setIncidentFold` (incident-store.ts): the traces, their incidents and baselines commit
 * together or not at all, and the promise resolves only once the commit is durable. A write that rejects
 * stored nothing.
 */
export interface TraceStore {
  /** Outcomes in input order; a resultId already stored (or earlier in the batch) is a duplicate. */
  writeResults(records: ResultRecord[]): Promise<WriteOutcome[]>;
  /** Of these import keys, those already stored. */
  knownImportKeys(keys: readonly string[]): Promise<Set<string>>;
  /** Writes imported traces, skipping keys already stored (checked inside the transaction); how many were new. */
  writeImported(records: readonly ImportRecord[]): Promise<number>;
  /** Of these import keys, those stored, with the id of the trace each stored (issue 13: a paste saved again). */
  importedTraceIds(keys: readonly string[]): Promise<Map<string, number>>;

  getTrace(id: number): Promise<StoredTrace | null>;
  /** Newest first. */
  listTraces(options: { limit: number }): Promise<TraceSummary[]>;
  counts(): Promise<StoreCounts>;
}
