import type { FoldContext, IncidentFold, IncidentStore } from '../store/incident-store.ts';
import { incidentFold } from './fold.ts';
import type { IncidentEvent } from './types.ts';

/** How long an incident stays open after its last detour unless configured: eight missed 15-minute rounds. */
export const DEFAULT_QUIET_MS = 2 * 3_600_000;

export interface IncidentTrackerOptions {
  store: IncidentStore;
  /** How long an incident stays open without a new detour of its key. */
  quietMs: number;
  now?: () => number;
  /** The pure fold (tests inject a failing one through this seam). */
  fold?: IncidentFold;
  /** Every event, once, after the commit that made it (trace writes, catch-up, sweeps). Must not throw. */
  raise: (events: readonly IncidentEvent[]) => void;
}

export interface IncidentTracker {
  /** Closes the open incidents whose quiet period has run out; resolves with what it raised. */
  sweep(): Promise<IncidentEvent[]>;
  /** Folds what was stored while no fold was bound; resolves with what it raised. */
  catchUp(batch?: number): Promise<IncidentEvent[]>;
  /** The highest trace id folded so far. */
  watermark(): Promise<number>;
  /** Unbinds the fold: later writes store traces without incidents (the next start catches them up). */
  stop(): void;
}

/**
 * Incidents and baselines kept in step with the traces: at start, catches up with traces stored while no
 * coordinator folded them (a database from before incidents existed, or written unbound) and closes what
 * went quiet meanwhile; then binds the fold into the store's trace writes, so from then on every stored trace
 * is folded in the transaction that stores it. Nothing may write traces before this resolves.
 */
export async function startIncidentTracker(options: IncidentTrackerOptions): Promise<IncidentTracker> {
  const { store, raise } = options;
  const context: FoldContext = {
    fold: options.fold ?? incidentFold,
    quietMs: options.quietMs,
    now: options.now ?? Date.now,
  };
  const raised = async (run: Promise<IncidentEvent[]>): Promise<IncidentEvent[]> => {
    const events = await run;
    if (events.length > 0) raise(events);
    return events;
  };
  await raised(store.catchUpIncidents(context));
  await raised(store.sweepIncidents(context));
  store.setIncidentFold({ ...context, committed: raise });
  return {
    sweep: () => raised(store.sweepIncidents(context)),
    catchUp: (batch) => raised(store.catchUpIncidents(context, batch)),
    watermark: () => store.incidentWatermark(),
    stop: () => store.setIncidentFold(null),
  };
}
