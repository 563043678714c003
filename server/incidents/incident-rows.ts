import type { Incident, IncidentState } from './types.ts';

/** An `incidents` row as SQLite returns it. */
export interface IncidentRow {
  id: number;
  key: string;
  subject: string;
  agent_id: string | null;
  destination_prefix: string;
  countries: string;
  asns: string;
  first_seen: number;
  last_seen: number;
  trace_count: number;
  confirmed_count: number;
  state: IncidentState;
  closed_at: number | null;
  last_clear_at: number | null;
  first_trace_id: number;
  last_trace_id: number;
}

export const INCIDENT_COLUMNS = `id, key, subject, agent_id, destination_prefix, countries, asns, first_seen,
  last_seen, trace_count, confirmed_count, state, closed_at, last_clear_at, first_trace_id, last_trace_id`;

export function incidentFromRow(row: IncidentRow): Incident {
  return {
    id: row.id,
    key: row.key,
    subject: row.subject,
    agentId: row.agent_id,
    destinationPrefix: row.destination_prefix,
    countries: JSON.parse(row.countries) as string[],
    asns: JSON.parse(row.asns) as number[],
    firstSeen: row.first_seen,
    lastSeen: row.last_seen,
    traceCount: row.trace_count,
    confirmedCount: row.confirmed_count,
    state: row.state,
    closedAt: row.closed_at,
    lastClearAt: row.last_clear_at,
    firstTraceId: row.first_trace_id,
    lastTraceId: row.last_trace_id,
  };
}

/** Named parameters for INSERT/UPDATE of an incident. */
export function incidentParams(i: Omit<Incident, 'id'>) {
  return {
    key: i.key,
    subject: i.subject,
    agentId: i.agentId,
    destinationPrefix: i.destinationPrefix,
    countries: JSON.stringify(i.countries),
    asns: JSON.stringify(i.asns),
    firstSeen: i.firstSeen,
    lastSeen: i.lastSeen,
    traceCount: i.traceCount,
    confirmedCount: i.confirmedCount,
    state: i.state,
    closedAt: i.closedAt,
    lastClearAt: i.lastClearAt,
    firstTraceId: i.firstTraceId,
    lastTraceId: i.lastTraceId,
  };
}
