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
  incident: IncidentItem;
}

export function alertSummary(e: IncidentEvent): string {
  const i = e.incident;
  const via = [...i.countries, ...i.asns.map((a) => `AS${a}`)].join(' ');
  const what = {
    'incident.opened': 'detour incident opened',
    'incident.corroborated': 'detour incident corroborated',
    'incident.closed': 'detour incident closed',
  }[e.kind];
  const span =
    e.kind === 'incident.closed'
      ? `last seen ${new Date(i.lastSeen).toISOString()}`
      : `first seen ${new Date(i.firstSeen).toISOString()}`;
  const seen = `${i.witnessCount} witness${i.witnessCount === 1 ? '' : 'es'}`;
  return `detourwatch: ${what} #${i.id}: ${i.subject} -> ${i.destinationPrefix} via ${via} (${i.traceCount} traces, ${seen}, ${span})`;
}

export function alertBody(e: IncidentEvent, deliveryId: number, timestamp: number): string {
  const payload: AlertPayload = {
    event: e.kind,
    deliveryId,
    timestamp,
    summary: alertSummary(e),
    incident: incidentJson(e.incident),
  };
  return JSON.stringify(payload);
}
