import type {
  Baseline,
  Incident,
  IncidentEvent,
  RouteChange,
  TraceObservation,
  VantageFacts,
} from '../incidents/types.ts';
import type { VantageSample } from './vantage-store.ts';

/**
 * The incident ledger: incidents, the traces that are their evidence, per-pair baselines and the catch-up
 * watermark. The store does not decide anything about incidents: a pure fold (server/incidents/fold.ts) does,
 * and the store runs it as load -> fold -> apply inside ONE write transaction:
 *
 *   1. `fold.needs(observations)` says what to load; the engine loads exactly that (`FoldState`), inside the
 *      write transaction, so nothing changes it before the writes land;
 *   2. `fold.fold(state, observations, quietMs, now)` answers the writes and the events, touching no I/O;
 *   3. the engine applies the writes (`FoldWrites`) in the same transaction and, after the commit, hands the
 *      events on. Nothing awaits between 1 and 3 on SQLite (better-sqlite3's synchronous transaction); a
 *      PostgreSQL engine awaits each step on one client between BEGIN and COMMIT, and must lock what it loads
 *      (SELECT ... FOR UPDATE, plus an advisory lock per incident key so two coordinators cannot both create
 *      the incident of one key).
 *
 * An error anywhere rolls back the whole transaction: for a trace write that means the traces too, so a
 * stored trace is always in its incident (server/store/trace-store.ts).
 */

/** What the fold needs loaded for one batch of observations. Times are epoch ms. */
export interface FoldNeeds {
  /** Incidents of `key` with last_seen >= from and first_seen <= to (candidates a detour may join). */
  keys: { key: string; from: number; to: number }[];
  /** Incidents of (subject, destination prefix) with from <= last_seen < to (a domestic reading may clear them). */
  pairs: { subject: string; prefix: string; from: number; to: number }[];
  /** Baselines of these (subject, target) pairs, where they exist. */
  baselines: { subject: string; target: string }[];
  /** Of these trace ids, those already linked to an incident (a replayed range must not count twice). */
  traceIds: number[];
  /** The vantage facts (agent_vantage) of these agents: who they are as witnesses, and their location status. */
  agents: string[];
  /** The agents whose public address is one of these (a trace to another agent measures the mesh). */
  addresses: string[];
}

/** What the engine loaded for `FoldNeeds`. */
export interface FoldState {
  /** Every incident either query found, each once. */
  incidents: Incident[];
  /** `agentId` and `changed` as stored do not matter: the fold recomputes them. */
  baselines: Baseline[];
  /** The trace ids of `FoldNeeds.traceIds` already in an incident. */
  linked: number[];
  /** The facts found for `FoldNeeds.agents`; an agent without any is unverified. */
  vantages?: VantageFacts[];
  /** The agents found at `FoldNeeds.addresses`. */
  peers?: { agentId: string; address: string }[];
}

/** The writes of one fold, in the order the engine applies them. */
export interface FoldWrites {
  /**
   * New incidents in creation order, each with a negative placeholder `id` (-1, -2, ...): the engine inserts
   * them and uses the row ids instead wherever the placeholder appears (links, events).
   */
  created: Incident[];
  /** Existing incidents, as they are now (every column that can change). */
  updated: Incident[];
  /** Evidence: trace `traceId` belongs to incident `incidentId` (a row id or a placeholder). */
  links: { incidentId: number; traceId: number }[];
  /** Baselines to insert or replace, keyed by (subject, target). */
  baselines: Baseline[];
  /** The highest trace id folded (the watermark never moves back); 0 when the fold saw no trace. */
  watermark: number;
  /**
   * RTT readings for the vantage checks (server/trust): the engine keeps the lowest RTT per (agent, kind,
   * subject) and marks the agent for re-evaluation.
   */
  samples?: VantageSample[];
  /** Route changes the baselines saw (issue 14), appended to the route-change record. */
  routeChanges?: RouteChange[];
}

export interface FoldOutcome {
  writes: FoldWrites;
  /** What alerts are sent for; may name placeholders (see `FoldWrites.created`). */
  events: IncidentEvent[];
}

/** The pure decisions, handed to the store (server/incidents/fold.ts is the one the product uses). */
export interface IncidentFold {
  needs(observations: readonly TraceObservation[], quietMs: number): FoldNeeds;
  fold(
    state: FoldState,
    observations: readonly TraceObservation[],
    quietMs: number,
    now: number,
  ): FoldOutcome;
  /** Which of these open incidents (last seen at least a quiet period ago) are over now. */
  sweep(open: readonly Incident[], quietMs: number, now: number): FoldOutcome;
}

/** A fold with its settings: what catch-up and sweeps run with. */
export interface FoldContext {
  fold: IncidentFold;
  /** An incident is over after this long without a detour of its key. */
  quietMs: number;
  /** Epoch ms; read once per transaction. */
  now(): number;
}

/** The fold every trace write runs inside its transaction. */
export interface IncidentBinding extends FoldContext {
  /** After the commit, with the events the write raised (never for a rollback). Must not throw. */
  committed(events: readonly IncidentEvent[]): void;
}

export interface IncidentStore {
  /**
   * Binds the fold that every later `writeResults` / `writeImported` runs in its transaction; null unbinds
   * (traces written then wait for `catchUpIncidents`). Bind before anything writes: a bound write moves the
   * watermark past the traces it folds, so traces stored unbound below it would be skipped by catch-up.
   */
  setIncidentFold(binding: IncidentBinding | null): void;
  /**
   * Folds the traces stored after the watermark (written while no fold was bound, or before incidents
   * existed), `batch` traces per transaction in id order, until none is left. Resolves with their events.
   */
  catchUpIncidents(context: FoldContext, batch?: number): Promise<IncidentEvent[]>;
  /** Closes, in one transaction, the open incidents whose quiet period has run out. */
  sweepIncidents(context: FoldContext): Promise<IncidentEvent[]>;
  /** The highest trace id folded so far: where catch-up resumes. */
  incidentWatermark(): Promise<number>;
}
