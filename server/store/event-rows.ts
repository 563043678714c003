import { type IncidentEventData, TRACE_STORED, type TraceStoredData } from '../../protocol/events-api.ts';
import type { TraceOrigin } from '../../protocol/history-api.ts';
import { incidentJson } from '../incidents/incident-json.ts';
import type { IncidentEvent, TraceObservation } from '../incidents/types.ts';
import type { NewEvent } from './event-store.ts';

/** History_state: every event up to this seq was deleted by retention. */
export const EVENTS_PRUNED_THROUGH = 'events.pruned_through';

/** Engine-neutral: the events a trace write appends (each engine inserts them in its own transaction). */

/**
 * `trace.stored` for one written trace: the compact summary a live feed shows (protocol/events-api.ts). An
 * agent's trace has its agent; an imported one (RIPE Atlas) has none.
 */
export function traceStoredEvent(o: TraceObservation, at: number): NewEvent {
  const origin: TraceOrigin = o.agentId === null ? 'import' : 'agent';
  const data: TraceStoredData = {
    traceId: o.traceId,
    startedAt: new Date(o.startedAt).toISOString(),
    origin,
    agentId: o.agentId,
    verdict: o.verdict,
    confidence: o.confidence,
    countries: o.pathCountries,
    foreignCountries: o.foreignCountries,
    foreignAsns: o.foreignAsns,
    destinationIp: o.destinationIp,
  };
  return { type: TRACE_STORED, at, data: { ...data } };
}

/** One event per incident event of the fold or sweep, whatever kinds it raises. */
export function incidentEvents(events: readonly IncidentEvent[]): NewEvent[] {
  return events.map((e) => {
    const { witnessList: _witnesses, ...incident } = incidentJson(e.incident);
    const data: IncidentEventData = incident;
    return { type: e.kind, at: e.at, data: { ...data } };
  });
}

/** The events of one trace write: each trace stored, then what the fold raised. */
export function writeEvents(
  written: readonly TraceObservation[],
  folded: readonly IncidentEvent[],
  at: number,
): NewEvent[] {
  return [...written.map((o) => traceStoredEvent(o, at)), ...incidentEvents(folded)];
}

/** A type filter as given to eventsAfter: null when absent or empty (all types). */
export function typeFilter(types: readonly string[] | null | undefined): readonly string[] | null {
  return types === undefined || types === null || types.length === 0 ? null : types;
}
