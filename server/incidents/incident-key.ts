import { destinationPrefix } from '../../protocol/address/prefix.ts';
import type { IncidentKey, TraceObservation } from './types.ts';

/**
 * Imports have no agent; the prober's position, rounded to a 1-degree cell (about 100 km), stands in for it,
 * so several probes of one metro area measuring the same detour count as one vantage point.
 */
const REGION_CELL_DEGREES = 1;

/** The vantage point a trace was measured from, as incidents and baselines group it. */
export function vantageSubject(o: Pick<TraceObservation, 'agentId' | 'sourcePosition' | 'sourceIp'>): string {
  if (o.agentId !== null) return `agent:${o.agentId}`;
  if (o.sourcePosition !== null) {
    const cell = (v: number) => Math.floor(v / REGION_CELL_DEGREES) * REGION_CELL_DEGREES;
    return `region:${cell(o.sourcePosition.lat)},${cell(o.sourcePosition.lon)}`;
  }
  const prefix = destinationPrefix(o.sourceIp);
  return prefix === null ? 'unknown' : `source:${prefix}`;
}

/**
 * The incident key of a detour: its cause, the destination prefix and the foreign countries and ASNs in path
 * order, whichever vantage point saw it (each one is a witness: witnesses.ts). `subject` is this trace's
 * vantage point, which the incident keeps when the trace opens it. Null for traces that are not detours or
 * whose destination is not an address (nothing to group by).
 */
export function incidentKey(o: TraceObservation): IncidentKey | null {
  if (o.verdict !== 'detour') return null;
  const prefix = destinationPrefix(o.destinationIp);
  if (prefix === null) return null;
  const subject = vantageSubject(o);
  return {
    key: ['cause', prefix, o.foreignCountries.join('>'), o.foreignAsns.join('>')].join('|'),
    subject,
    destinationPrefix: prefix,
    countries: [...o.foreignCountries],
    asns: [...o.foreignAsns],
  };
}
