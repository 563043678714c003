import type { Incident, IncidentKey, TraceObservation } from './types.ts';

/**
 * Pure decisions of incident grouping. The store finds candidates; these functions decide what a new
 * trace does to them. A detour joins the incident of its key whose time span, widened by the quiet period on
 * both sides, contains the trace (traces may arrive out of order: imports, agents' outboxes); otherwise it
 * starts a new incident. An incident is over once the quiet period has passed since its last detour.
 */

/** Whether a detour seen at `at` belongs to this incident. */
export function joins(
  incident: Pick<Incident, 'firstSeen' | 'lastSeen'>,
  at: number,
  quietMs: number,
): boolean {
  return at >= incident.firstSeen - quietMs && at <= incident.lastSeen + quietMs;
}

/** The incident after a detour trace joined it. */
export function withTrace(incident: Incident, o: TraceObservation, quietMs: number, now: number): Incident {
  const lastSeen = Math.max(incident.lastSeen, o.startedAt);
  const later = o.startedAt >= incident.lastSeen;
  const reopened = isOver(lastSeen, quietMs, now) ? incident.state : 'open';
  return {
    ...incident,
    firstSeen: Math.min(incident.firstSeen, o.startedAt),
    lastSeen,
    traceCount: incident.traceCount + 1,
    confirmedCount: incident.confirmedCount + (o.confidence === 'confirmed' ? 1 : 0),
    state: reopened,
    closedAt: reopened === 'open' ? null : lastSeen + quietMs,
    // A clear reading before this detour no longer says the detour is over.
    lastClearAt:
      incident.lastClearAt !== null && incident.lastClearAt > lastSeen ? incident.lastClearAt : null,
    firstTraceId: o.startedAt < incident.firstSeen ? o.traceId : incident.firstTraceId,
    lastTraceId: later ? o.traceId : incident.lastTraceId,
  };
}

/** A new incident from its first detour; born closed when the detour is older than the quiet period. */
export function newIncident(
  key: IncidentKey,
  o: TraceObservation,
  quietMs: number,
  now: number,
): Omit<Incident, 'id'> {
  const over = isOver(o.startedAt, quietMs, now);
  return {
    ...key,
    agentId: o.agentId,
    firstSeen: o.startedAt,
    lastSeen: o.startedAt,
    traceCount: 1,
    confirmedCount: o.confidence === 'confirmed' ? 1 : 0,
    state: over ? 'closed' : 'open',
    closedAt: over ? o.startedAt + quietMs : null,
    lastClearAt: null,
    firstTraceId: o.traceId,
    lastTraceId: o.traceId,
    // The fold adds the witness and decides corroboration (witnesses.ts).
    witnesses: [],
    witnessCount: 0,
    corroboratedAt: null,
  };
}

/** Whether an incident last seen at `lastSeen` has been quiet long enough at `now`. */
export function isOver(lastSeen: number, quietMs: number, now: number): boolean {
  return lastSeen + quietMs <= now;
}

/**
 * A judged trace that is not a detour, from the same vantage point to the same prefix, after the incident's
 * last detour: the path looks clear again. Returns the new `lastClearAt`, or null when nothing changes.
 */
export function clearedAt(
  incident: Pick<Incident, 'lastSeen' | 'lastClearAt'>,
  o: TraceObservation,
): number | null {
  if (o.verdict !== 'domestic' || o.startedAt <= incident.lastSeen) return null;
  if (incident.lastClearAt !== null && incident.lastClearAt >= o.startedAt) return null;
  return o.startedAt;
}
