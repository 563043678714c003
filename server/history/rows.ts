import type {
  BaselineItem,
  BaselinePathItem,
  DeliveryItem,
  DetourItem,
  IncidentItem,
  TraceItem,
} from '../../protocol/history-api.ts';
import type { ProbeMethod, TraceTool } from '../../protocol/trace.ts';
import type { Confidence, Verdict, VerdictKind } from '../../protocol/verdict.ts';
import { type IncidentRow, incidentFromRow } from '../incidents/incident-rows.ts';
import type { BaselinePath, Incident } from '../incidents/types.ts';
import type { TraceOrigin } from '../store/store.ts';

/** Rows as SQLite returns them, and their API shapes. */

export const TRACE_SELECT = `t.id, t.origin, t.agent_id, r.result_id AS result_uid, t.source_ip, t.destination_ip, t.destination_name, t.tool,
  t.method, t.ip_version, t.started_at, t.verdict, t.confidence, t.countries, t.foreign_countries, t.foreign_asns,
  t.extra_km, it.incident_id`;

export const TRACE_FROM = `traces t LEFT JOIN incident_traces it ON it.trace_id = t.id
  LEFT JOIN results r ON r.id = t.result_id`;

export const DETOUR_SELECT = `${TRACE_SELECT}, t.verdict_json, a.name AS agent_name,
  COALESCE(t.source_lat, a.lat) AS source_lat, COALESCE(t.source_lon, a.lon) AS source_lon`;

export const DETOUR_FROM = `${TRACE_FROM} LEFT JOIN agents a ON a.id = t.agent_id`;

export interface TraceRowDb {
  id: number;
  origin: TraceOrigin;
  agent_id: string | null;
  result_uid: string | null;
  source_ip: string | null;
  destination_ip: string | null;
  destination_name: string | null;
  tool: TraceTool;
  method: ProbeMethod;
  ip_version: 4 | 6;
  started_at: number;
  verdict: VerdictKind;
  confidence: Confidence | null;
  countries: string;
  foreign_countries: string;
  foreign_asns: string;
  extra_km: number | null;
  incident_id: number | null;
}

export interface DetourRowDb extends TraceRowDb {
  verdict_json: string;
  agent_name: string | null;
  source_lat: number | null;
  source_lon: number | null;
}

export const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

export function traceItem(r: TraceRowDb): TraceItem {
  return {
    id: r.id,
    origin: r.origin,
    agentId: r.agent_id,
    resultId: r.result_uid,
    sourceIp: r.source_ip,
    destinationIp: r.destination_ip,
    destinationName: r.destination_name,
    tool: r.tool,
    method: r.method,
    ipVersion: r.ip_version,
    startedAt: iso(r.started_at),
    verdict: r.verdict,
    confidence: r.confidence,
    countries: JSON.parse(r.countries) as string[],
    foreignCountries: JSON.parse(r.foreign_countries) as string[],
    foreignAsns: JSON.parse(r.foreign_asns) as number[],
    extraKm: r.extra_km,
    incidentId: r.incident_id,
  };
}

export function detourItem(r: DetourRowDb): DetourItem {
  const verdict = JSON.parse(r.verdict_json) as Verdict;
  return {
    ...traceItem(r),
    confidence: r.confidence ?? 'probable',
    agentName: r.agent_name,
    sourcePosition:
      r.source_lat === null || r.source_lon === null ? null : { lat: r.source_lat, lon: r.source_lon },
    foreignHops: verdict.foreignHops,
    reason: verdict.reason,
  };
}

export function incidentItem(r: IncidentRow): IncidentItem {
  return incidentJson(incidentFromRow(r));
}

export function incidentJson(i: Incident): IncidentItem {
  return {
    id: i.id,
    state: i.state,
    subject: i.subject,
    agentId: i.agentId,
    destinationPrefix: i.destinationPrefix,
    countries: i.countries,
    asns: i.asns,
    firstSeen: iso(i.firstSeen),
    lastSeen: iso(i.lastSeen),
    closedAt: isoOrNull(i.closedAt),
    lastClearAt: isoOrNull(i.lastClearAt),
    traceCount: i.traceCount,
    confirmedCount: i.confirmedCount,
    firstTraceId: i.firstTraceId,
    lastTraceId: i.lastTraceId,
  };
}

export interface BaselineRowDb {
  id: number;
  subject: string;
  target: string;
  agent_id: string | null;
  normal_json: string | null;
  latest_json: string;
  changed: number;
}

function pathItem(p: BaselinePath): BaselinePathItem {
  return {
    countries: p.countries,
    asns: p.asns,
    since: iso(p.since),
    lastSeen: iso(p.lastSeen),
    traces: p.traces,
  };
}

export function baselineItem(r: BaselineRowDb): BaselineItem & { id: number } {
  const latest = JSON.parse(r.latest_json) as BaselinePath & { verdict: VerdictKind; traceId: number };
  return {
    id: r.id,
    subject: r.subject,
    agentId: r.agent_id,
    target: r.target,
    normal: r.normal_json === null ? null : pathItem(JSON.parse(r.normal_json) as BaselinePath),
    latest: { ...pathItem(latest), verdict: latest.verdict, traceId: latest.traceId },
    changed: r.changed === 1,
  };
}

export interface DeliveryRowDb {
  id: number;
  event: string;
  incident_id: number | null;
  url: string;
  status: DeliveryItem['status'];
  attempts: number;
  http_status: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

export function deliveryItem(r: DeliveryRowDb): DeliveryItem {
  return {
    id: r.id,
    event: r.event,
    incidentId: r.incident_id,
    url: r.url,
    status: r.status,
    attempts: r.attempts,
    httpStatus: r.http_status,
    lastError: r.last_error,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}
