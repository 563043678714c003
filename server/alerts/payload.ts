import type { IncidentItem } from '../../protocol/history-api.ts';
import { incidentJson } from '../incidents/incident-json.ts';
import type { IncidentEvent, IncidentEventKind } from '../incidents/types.ts';

/** The JSON body of a webhook call. */
export interface AlertPayload {
  event: IncidentEventKind;
  /** The delivery's id: the same on every retry, so a receiver can drop repeats. */
  deliveryId: number;
  /** Unix seconds when this attempt was sent; equal to the X-Detourwatch-Timestamp header. */
  timestamp: number;
  /** One line for chat channels. */
  summary: string;
  /**
   * Raised by a result that arrived long after it was measured (`serve --late-after`), or by an incident that
   * was over before it was recorded: it describes the past.
   */
  late: boolean;
  incident: IncidentItem;
}

const WHAT: Record<IncidentEventKind, string> = {
  'incident.opened': 'detour incident opened',
  'incident.corroborated': 'detour incident corroborated',
  'incident.confirmed': 'detour incident confirmed',
  'incident.closed': 'detour incident closed',
};

/** One line per event kind: what happened, the cause, and the numbers that make it worth reading. */
export function alertSummary(e: IncidentEvent): string {
  const i = e.incident;
  const via = [...i.countries, ...i.asns.map((a) => `AS${a}`)].join(' ');
  const at = (ms: number) => new Date(ms).toISOString();
  const span = {
    'incident.opened': `first seen ${at(i.firstSeen)}`,
    'incident.corroborated': `first seen ${at(i.firstSeen)}`,
    // The upgrade is news about the evidence: how much of it the speed of light now backs.
    'incident.confirmed': `${i.confirmedCount} of ${i.traceCount} traces confirmed by RTTs, last seen ${at(i.lastSeen)}`,
    'incident.closed': `last seen ${at(i.lastSeen)}`,
  }[e.kind];
  const seen = `${i.witnessCount} witness${i.witnessCount === 1 ? '' : 'es'}`;
  const late = e.late === true ? ' [late]' : '';
  return `detourwatch: ${WHAT[e.kind]}${late} #${i.id}: ${i.subject} -> ${i.destinationPrefix} via ${via} (${i.traceCount} traces, ${seen}, ${span})`;
}

export function alertBody(e: IncidentEvent, deliveryId: number, timestamp: number): string {
  const payload: AlertPayload = {
    event: e.kind,
    deliveryId,
    timestamp,
    summary: alertSummary(e),
    late: e.late === true,
    incident: incidentJson(e.incident),
  };
  return JSON.stringify(payload);
}
