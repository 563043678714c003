import type { StoredHop, TraceOrigin } from '../../protocol/history-api.ts';
import type {
  CorrectionPlace,
  PlacementChangeKind,
  PlacementChangeState,
  VerdictChangeItem,
} from '../../protocol/location-corrections.ts';
import type { EngineName } from '../../protocol/messages.ts';
import type { IpVersion, ProbeMethod, Trace, TraceTool } from '../../protocol/trace.ts';
import type { Verdict } from '../../protocol/verdict.ts';

/**
 * Operators' corrections of router locations, the log of placement changes, and what re-judging reads and
 * writes (issue 15, items 5 and 6). Times are epoch ms.
 *
 * A correction is written together with a `pending` change record in one transaction; the coordinator's
 * re-judging (server/placement/rejudge.ts) finds the traces that used the address through the hops' address
 * index, judges them again and writes each new verdict with its hops, and the incidents follow in the same
 * transaction (`writeRejudged`): a trace that is no detour of its incident's cause any more leaves it (the
 * incident is rebuilt from the traces it keeps, by the same pure fold, or removed when none is left), and
 * the trace is folded again like a new one, so a new detour joins or opens an incident.
 */

export interface StoredCorrection extends CorrectionPlace {
  ip: string;
  note: string;
  by: string;
  at: number;
}

export interface PlacementChange {
  id: number;
  ip: string;
  kind: PlacementChangeKind;
  by: string;
  at: number;
  before: CorrectionPlace | null;
  after: CorrectionPlace | null;
  note: string | null;
  state: PlacementChangeState;
  appliedAt: number | null;
  windowFrom: number | null;
  tracesRejudged: number;
  verdictsChanged: number;
  changes: VerdictChangeItem[];
  error: string | null;
}

/** What re-judging records when it is done with a change. */
export type PlacementChangeResult = Pick<
  PlacementChange,
  'state' | 'appliedAt' | 'windowFrom' | 'tracesRejudged' | 'verdictsChanged' | 'changes' | 'error'
>;

/** One stored reply of `ip` measured from a known position (an agent's declared one, or an Atlas probe's). */
export interface ProberReading {
  traceId: number;
  agentId: string | null;
  agentName: string | null;
  lat: number;
  lon: number;
  rttMs: number;
  at: number;
}

/** A stored trace to judge again, with what it was judged from. */
export interface RejudgeCandidate {
  traceId: number;
  origin: TraceOrigin;
  agentId: string | null;
  startedAt: number;
  sourcePosition: { lat: number; lon: number } | null;
  sourceIp: string | null;
  destinationIp: string | null;
  destinationName: string | null;
  tool: TraceTool;
  method: ProbeMethod;
  ipVersion: IpVersion;
  verdict: Verdict;
  /** The agent's raw output as it sent it; null for imports, or when retention deleted it. */
  raw: { engine: EngineName; output: string; target: string } | null;
  /** The stored hop rows (what an imported trace is judged again from). */
  hops: StoredHop[];
}

/** A trace judged again: its new verdict (the trace as judged gives the hop rows). */
export interface RejudgedTrace {
  traceId: number;
  agentId: string | null;
  startedAt: number;
  sourcePosition: { lat: number; lon: number } | null;
  trace: Trace;
  verdict: Verdict;
  pathAsns: number[] | null;
}

/** Where a re-judged trace stands in the incidents after the write. */
export interface RejudgedLink {
  traceId: number;
  /** The incident it was taken out of; null when it stayed (or was in none). */
  left: number | null;
  /** Its incident now; null: none. */
  incident: number | null;
}

export interface LocationCorrectionStore {
  listLocationCorrections(): Promise<StoredCorrection[]>;
  getLocationCorrection(ip: string): Promise<StoredCorrection | null>;
  /**
   * Stores (or replaces) every correction and a pending change record for each, in ONE transaction: all or
   * none. The changes in input order.
   */
  setLocationCorrections(corrections: readonly StoredCorrection[]): Promise<PlacementChange[]>;
  /** Removes the correction and records a pending change; null when the address had none. */
  removeLocationCorrection(ip: string, by: string, at: number): Promise<PlacementChange | null>;
  /**
   * The lowest stored RTT of `ip` per prober position (traces with a known source position, contradicted
   * agents left out), lowest first, at most `limit` positions.
   */
  proberReadings(ip: string, limit: number): Promise<ProberReading[]>;
  /** Traces started at or after `since` with `ip` among their hops, newest first, at most `limit`. */
  rejudgeCandidates(ip: string, since: number, limit: number): Promise<RejudgeCandidate[]>;
  /**
   * Replaces each trace's verdict, hop rows and foreign hops, and moves the incidents along, in ONE
   * transaction with the bound incident fold (incident-store.ts); its events go out after the commit.
   */
  writeRejudged(traces: readonly RejudgedTrace[]): Promise<RejudgedLink[]>;
  /**
   * Records pending changes that no correction made (kind 'constraints': stored router constraints moved the
   * placement; issue 15, item 6), in ONE transaction; the changes in input order.
   */
  recordPlacementChanges(
    changes: readonly Pick<PlacementChange, 'ip' | 'kind' | 'by' | 'at' | 'before' | 'after' | 'note'>[],
  ): Promise<PlacementChange[]>;
  /** Changes not yet re-judged, oldest first. */
  pendingPlacementChanges(limit: number): Promise<PlacementChange[]>;
  finishPlacementChange(id: number, result: PlacementChangeResult): Promise<void>;
  /** The log, newest first; `ip` narrows it to one address. */
  placementChanges(options: { ip?: string | null; limit: number }): Promise<PlacementChange[]>;
}
