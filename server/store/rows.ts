/**
 * Rows as the engines return them, the column lists that select them, and their mapping to records: each row
 * type and each column list exists here once, for SQLite (sqlite/) and PostgreSQL (pg/) alike. Both keep
 * times as integer epoch ms and lists as JSON text, so one mapping gives both the same output; the only
 * difference is a flag, which SQLite answers as 0/1 and PostgreSQL as a boolean.
 */

import { DetourwatchError } from '../../protocol/errors.ts';
import type {
  AgentLocationItem,
  BaselineItem,
  DeliveryItem,
  DetourItem,
  HopItem,
  LocationStatus,
  RouteChangeItem,
  TraceItem,
  TraceOrigin,
  TraceSummary,
} from '../../protocol/history-api.ts';
import type { EngineName } from '../../protocol/messages.ts';
import type { ProbeMethod, TraceTool } from '../../protocol/trace.ts';
import type { Confidence, HopStatus, VerdictKind } from '../../protocol/verdict.ts';
import { usualRouterPath } from '../incidents/baseline.ts';
import { baselineJson } from '../incidents/incident-json.ts';
import type {
  Baseline,
  BaselinePath,
  Incident,
  IncidentState,
  PathTally,
  RouteChange,
  TraceObservation,
  UsualPath,
  VantageFacts,
  Witness,
} from '../incidents/types.ts';
import type { AgentRecord, TokenRecord, TokenRole } from './agent-store.ts';
import type { MaintenanceWindow } from './maintenance-store.ts';
import type { MapDetourRecord } from './map-store.ts';
import type { SampleKind, VantageRecord, VantageSample } from './vantage-store.ts';
import { decodeVerdict } from './verdict-codec.ts';

export const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

/** An ISO 8601 time from a caller, as stored. */
export function epochMs(time: string): number {
  const t = Date.parse(time);
  if (Number.isNaN(t)) throw new DetourwatchError('STORE_FAILED', `"${time}" is not a time`);
  return t;
}

// tokens and agents

export const TOKEN_COLUMNS = 'id, name, created_at, revoked_at, role, owner';

export interface TokenRow {
  id: number;
  name: string;
  created_at: number;
  revoked_at: number | null;
  role: TokenRole;
  owner: string | null;
}

export function tokenRecord(row: TokenRow): TokenRecord {
  return {
    id: row.id,
    name: row.name,
    createdAt: iso(row.created_at),
    revokedAt: isoOrNull(row.revoked_at),
    role: row.role,
    owner: row.owner,
  };
}

export const AGENT_COLUMNS = `id, token_id, name, lat, lon, engines, max_concurrent, max_per_minute, agent_version,
  protocol_version, address, connected, first_seen, last_seen,
  (SELECT owner FROM tokens WHERE tokens.id = agents.token_id) AS owner`;

export interface AgentRow {
  id: string;
  token_id: number;
  name: string;
  lat: number | null;
  lon: number | null;
  engines: string;
  max_concurrent: number | null;
  max_per_minute: number | null;
  agent_version: string | null;
  protocol_version: number | null;
  address: string | null;
  connected: number | boolean;
  first_seen: number;
  last_seen: number;
  owner: string | null;
}

export function agentRecord(row: AgentRow): AgentRecord {
  return {
    id: row.id,
    tokenId: row.token_id,
    name: row.name,
    location: row.lat === null || row.lon === null ? null : { lat: row.lat, lon: row.lon },
    engines: JSON.parse(row.engines) as EngineName[],
    limits:
      row.max_concurrent === null || row.max_per_minute === null
        ? null
        : { maxConcurrent: row.max_concurrent, maxPerMinute: row.max_per_minute },
    agentVersion: row.agent_version,
    protocolVersion: row.protocol_version,
    address: row.address,
    connected: Boolean(row.connected),
    firstSeen: iso(row.first_seen),
    lastSeen: iso(row.last_seen),
    owner: row.owner,
  };
}

// traces and hops

/**
 * A trace with its result's id, its incident and its agent's vantage status as it is now (read at read time,
 * so a later contradiction marks the agent's earlier traces too): what every trace list and detail reads
 * (alias `t`). A subquery on the primary key rather than a join, so every FROM that names `t` can read it.
 */
export const TRACE_SELECT = `t.id, t.origin, t.agent_id, r.result_id AS result_uid, t.source_ip, t.destination_ip,
  t.destination_name, t.tool, t.method, t.ip_version, t.started_at, t.verdict, t.confidence, t.countries,
  t.foreign_countries, t.foreign_asns, t.extra_km, it.incident_id, t.late, t.probe_id,
  (SELECT v.status FROM agent_vantage v WHERE v.agent_id = t.agent_id) AS vantage_status`;

export const TRACE_FROM = `traces t LEFT JOIN incident_traces it ON it.trace_id = t.id
  LEFT JOIN results r ON r.id = t.result_id`;

/**
 * The map draws no detour of a contradicted vantage (issue 11: they never count as detours); the history's
 * lists keep them, marked. Both engines read it the same way (alias `t`).
 */
export const NOT_CONTRADICTED = `NOT EXISTS (SELECT 1 FROM agent_vantage v
  WHERE v.agent_id = t.agent_id AND v.status = 'contradicted')`;

/** A detour adds its verdict, agent and where the prober was (the trace's own position, else the agent's). */
export const DETOUR_SELECT = `${TRACE_SELECT}, t.verdict_json, t.verdict_z, a.name AS agent_name,
  COALESCE(t.source_lat, a.lat) AS source_lat, COALESCE(t.source_lon, a.lon) AS source_lon, r.target AS result_target`;

export const DETOUR_FROM = `${TRACE_FROM} LEFT JOIN agents a ON a.id = t.agent_id`;

/** How much history is stored (HistoryCounts), one row. */
export const HISTORY_COUNTS_SELECT = `SELECT (SELECT COUNT(*) FROM traces) AS traces,
  (SELECT COUNT(*) FROM traces WHERE verdict = 'detour') AS detours,
  (SELECT COUNT(*) FROM incidents) AS incidents`;

export interface TraceRow {
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
  /** SQLite answers 0/1, PostgreSQL a boolean. */
  late: boolean | number;
  /** The RIPE Atlas probe of an imported trace (issue 14). */
  probe_id: number | null;
  /** The agent's vantage row's status; null for imports and for agents not evaluated yet. */
  vantage_status: LocationStatus | null;
}

export interface DetourRow extends TraceRow {
  /** '' when the verdict is in `verdict_z` (server/store/verdict-codec.ts). */
  verdict_json: string;
  verdict_z: Uint8Array | null;
  agent_name: string | null;
  source_lat: number | null;
  source_lon: number | null;
  /** What the agent was asked to trace (null for imports). */
  result_target: string | null;
}

/** The plain trace list's shape (`GET /api/v1/traces` without the history service). */
export function traceSummary(r: TraceRow): TraceSummary {
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
    startedAt: iso(r.started_at),
    verdict: r.verdict,
    confidence: r.confidence,
    countries: JSON.parse(r.countries) as string[],
    foreignCountries: JSON.parse(r.foreign_countries) as string[],
    foreignAsns: JSON.parse(r.foreign_asns) as number[],
    late: flag(r.late),
    probeId: r.probe_id ?? null,
  };
}

/** A boolean column as either engine answers it (SQLite 0/1, PostgreSQL true/false). */
export function flag(value: boolean | number | null | undefined): boolean {
  return value === true || value === 1;
}

/** An agent not evaluated yet is unverified (as the fold takes it); imports have no vantage to check. */
export function vantageOf(agentId: string | null, status: LocationStatus | null): LocationStatus | null {
  return agentId === null ? null : (status ?? 'unverified');
}

export function traceItem(r: TraceRow): TraceItem {
  return {
    ...traceSummary(r),
    ipVersion: r.ip_version,
    extraKm: r.extra_km,
    incidentId: r.incident_id,
    vantage: vantageOf(r.agent_id, r.vantage_status),
  };
}

function sourcePosition(r: DetourRow): { lat: number; lon: number } | null {
  return r.source_lat === null || r.source_lon === null ? null : { lat: r.source_lat, lon: r.source_lon };
}

export function detourItem(r: DetourRow): DetourItem {
  const verdict = decodeVerdict(r.verdict_json, r.verdict_z);
  return {
    ...traceItem(r),
    confidence: r.confidence ?? 'probable',
    agentName: r.agent_name,
    sourcePosition: sourcePosition(r),
    foreignHops: verdict.foreignHops,
    reason: verdict.reason,
    hops: verdict.hops,
  };
}

export function mapDetourRecord(r: DetourRow): MapDetourRecord {
  return {
    id: r.id,
    startedAt: iso(r.started_at),
    agentId: r.agent_id,
    agentName: r.agent_name,
    target: r.result_target ?? r.destination_name ?? r.destination_ip ?? '',
    sourcePosition: sourcePosition(r),
    confidence: r.confidence ?? 'probable',
    verdict: decodeVerdict(r.verdict_json, r.verdict_z),
    vantage: vantageOf(r.agent_id, r.vantage_status),
    probeId: r.probe_id ?? null,
  };
}

export const HOP_COLUMNS = 'ttl, ip, rtt_ms, replies, status, country, asn';

export interface StoredHopRow {
  ttl: number;
  ip: string | null;
  rtt_ms: number | null;
  replies: number;
  status: HopStatus | null;
  country: string | null;
  asn: number | null;
}

export function hopItem(h: StoredHopRow): HopItem {
  return {
    ttl: h.ttl,
    ip: h.ip,
    rttMs: h.rtt_ms,
    replies: h.replies,
    status: h.status,
    country: h.country,
    asn: h.asn,
  };
}

/** What incidents and baselines read of a stored trace (catch-up rebuilds observations from these). */
export const OBSERVATION_SELECT = `t.id, t.agent_id, t.source_ip, t.destination_ip, t.started_at, t.verdict,
  t.confidence, t.countries, t.foreign_countries, t.foreign_asns, t.path_asns, t.late,
  COALESCE(t.source_lat, a.lat) AS lat, COALESCE(t.source_lon, a.lon) AS lon`;

export interface ObservationRow {
  id: number;
  agent_id: string | null;
  source_ip: string | null;
  destination_ip: string | null;
  started_at: number;
  verdict: VerdictKind;
  confidence: Confidence | null;
  countries: string;
  foreign_countries: string;
  foreign_asns: string;
  path_asns: string | null;
  late: boolean | number;
  lat: number | null;
  lon: number | null;
}

export function observationFromRow(r: ObservationRow): TraceObservation {
  return {
    traceId: r.id,
    agentId: r.agent_id,
    sourcePosition: r.lat === null || r.lon === null ? null : { lat: r.lat, lon: r.lon },
    sourceIp: r.source_ip,
    destinationIp: r.destination_ip,
    startedAt: r.started_at,
    verdict: r.verdict,
    confidence: r.confidence,
    foreignCountries: JSON.parse(r.foreign_countries) as string[],
    foreignAsns: JSON.parse(r.foreign_asns) as number[],
    pathCountries: JSON.parse(r.countries) as string[],
    pathAsns: r.path_asns === null ? null : (JSON.parse(r.path_asns) as number[]),
    late: flag(r.late),
  };
}

// incidents and baselines

export const INCIDENT_COLUMNS = `id, key, subject, agent_id, destination_prefix, countries, asns, first_seen,
  last_seen, trace_count, confirmed_count, state, closed_at, last_clear_at, first_trace_id, last_trace_id,
  witnesses_json, witness_count, corroborated_at`;

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
  witnesses_json: string;
  witness_count: number;
  corroborated_at: number | null;
}

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
    witnesses: JSON.parse(row.witnesses_json) as Witness[],
    witnessCount: row.witness_count,
    corroboratedAt: row.corroborated_at,
  };
}

/** Named parameters for INSERT / UPDATE of an incident (`@key`, `@firstSeen`, ...). */
export function incidentParams(i: Incident) {
  return {
    id: i.id,
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
    witnesses: JSON.stringify(i.witnesses),
    witnessCount: i.witnessCount,
    corroboratedAt: i.corroboratedAt,
  };
}

export const BASELINE_COLUMNS =
  'id, subject, target, agent_id, normal_json, latest_json, changed, tally_json';

export interface BaselineRow {
  id: number;
  subject: string;
  target: string;
  agent_id: string | null;
  normal_json: string | null;
  latest_json: string;
  changed: number | boolean;
  /** Null for a baseline stored before issue 14 (the fold rebuilds it from the normal path). */
  tally_json: string | null;
}

export function baselineFromRow(r: BaselineRow): Baseline {
  const tally = r.tally_json === null ? undefined : (JSON.parse(r.tally_json) as PathTally);
  return {
    subject: r.subject,
    agentId: r.agent_id,
    target: r.target,
    normal: r.normal_json === null ? null : usualFromJson(r.normal_json),
    routers: tally === undefined ? null : usualRouterPath(tally),
    latest: JSON.parse(r.latest_json) as Baseline['latest'],
    changed: Boolean(r.changed),
    ...(tally === undefined ? {} : { tally }),
  };
}

/** A stored usual path; one stored before issue 14 was the latest domestic run: all of what it counted. */
function usualFromJson(json: string): UsualPath {
  const p = JSON.parse(json) as BaselinePath & Partial<UsualPath>;
  return { ...p, of: p.of ?? p.traces, share: p.share ?? 1, leftHome: p.leftHome ?? false };
}

export function baselineItem(r: BaselineRow): BaselineItem & { id: number } {
  return { id: r.id, ...baselineJson(baselineFromRow(r)) };
}

/** Named parameters for the baseline upsert. */
export function baselineParams(b: Baseline) {
  return {
    subject: b.subject,
    target: b.target,
    agentId: b.agentId,
    normal: b.normal === null ? null : JSON.stringify(b.normal),
    latest: JSON.stringify(b.latest),
    changed: b.changed ? 1 : 0,
    tally: b.tally === undefined ? null : JSON.stringify(b.tally),
  };
}

// route changes (issue 14)

export const ROUTE_CHANGE_COLUMNS =
  'id, kind, subject, agent_id, target, at, trace_id, before_json, after_json, left_home';

export interface RouteChangeRow {
  id: number;
  kind: RouteChange['kind'];
  subject: string;
  agent_id: string | null;
  target: string;
  at: number;
  trace_id: number;
  before_json: string;
  after_json: string;
  left_home: boolean | number;
}

export function routeChangeItem(r: RouteChangeRow): RouteChangeItem {
  return {
    id: r.id,
    kind: r.kind,
    subject: r.subject,
    agentId: r.agent_id,
    target: r.target,
    at: iso(r.at),
    traceId: r.trace_id,
    before: JSON.parse(r.before_json) as RouteChangeItem['before'],
    after: JSON.parse(r.after_json) as RouteChangeItem['after'],
    leftHome: flag(r.left_home),
  };
}

/** The columns of one route-change insert, in ROUTE_CHANGE_COLUMNS order without the id. */
export function routeChangeValues(c: RouteChange) {
  return {
    kind: c.kind,
    subject: c.subject,
    agentId: c.agentId,
    target: c.target,
    at: c.at,
    traceId: c.traceId,
    before: JSON.stringify(c.before),
    after: JSON.stringify(c.after),
    leftHome: c.leftHome,
  };
}

// webhook deliveries

export const DELIVERY_COLUMNS = `id, event, incident_id, url, status, attempts, http_status, last_error, created_at,
  updated_at, rule`;

export interface DeliveryRow {
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
  rule: string | null;
}

export function deliveryItem(r: DeliveryRow): DeliveryItem {
  return {
    id: r.id,
    event: r.event,
    incidentId: r.incident_id,
    url: r.url,
    status: r.status,
    attempts: r.attempts,
    httpStatus: r.http_status,
    rule: r.rule,
    lastError: r.last_error,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

// vantage checks (vantage-store.ts)

export const VANTAGE_COLUMNS =
  'agent_id, status, owner, address_prefix, asn, city, location_json, evaluated_at';

/** Insert or replace an agent's check; `values` is the engine's eight parameters, in VANTAGE_COLUMNS order. */
export const saveVantageSql = (values: string) =>
  `INSERT INTO agent_vantage (${VANTAGE_COLUMNS}) VALUES (${values})
   ON CONFLICT (agent_id) DO UPDATE SET status = excluded.status, owner = excluded.owner,
     address_prefix = excluded.address_prefix, asn = excluded.asn, city = excluded.city,
     location_json = excluded.location_json, evaluated_at = excluded.evaluated_at`;

/**
 * The agents to check, oldest check first, at most `limit` (the engine's parameter): never checked, or
 * measured (by itself or, for the mesh, by another agent) or overridden since.
 */
export const vantagesToEvaluateSql = (limit: string) =>
  `SELECT a.id FROM agents a LEFT JOIN agent_vantage v ON v.agent_id = a.id
   WHERE v.agent_id IS NULL
     OR EXISTS (SELECT 1 FROM vantage_samples s WHERE s.agent_id = a.id AND s.updated_at > v.evaluated_at)
     OR EXISTS (SELECT 1 FROM vantage_samples s
                WHERE s.kind = 'mesh' AND s.subject = a.id AND s.updated_at > v.evaluated_at)
     OR EXISTS (SELECT 1 FROM vantage_overrides o WHERE o.agent_id = a.id AND o.at > v.evaluated_at)
   ORDER BY COALESCE(v.evaluated_at, 0), a.id LIMIT ${limit}`;

export interface VantageRow {
  agent_id: string;
  status: LocationStatus;
  owner: string | null;
  address_prefix: string | null;
  asn: number | null;
  city: string | null;
  location_json: string;
  evaluated_at: number;
}

export function vantageFromRow(r: VantageRow): VantageRecord {
  return {
    agentId: r.agent_id,
    status: r.status,
    owner: r.owner,
    addressPrefix: r.address_prefix,
    asn: r.asn === null ? null : Number(r.asn),
    city: r.city,
    location: JSON.parse(r.location_json) as AgentLocationItem,
    evaluatedAt: Number(r.evaluated_at),
  };
}

/** What the incident fold reads of a vantage (VantageFacts). */
export function vantageFacts(r: VantageRow): VantageFacts {
  const v = vantageFromRow(r);
  return {
    agentId: v.agentId,
    owner: v.owner,
    addressPrefix: v.addressPrefix,
    asn: v.asn,
    city: v.city,
    status: v.status,
  };
}

export function vantageParams(v: VantageRecord) {
  return {
    agentId: v.agentId,
    status: v.status,
    owner: v.owner,
    addressPrefix: v.addressPrefix,
    asn: v.asn,
    city: v.city,
    location: JSON.stringify(v.location),
    evaluatedAt: v.evaluatedAt,
  };
}

export const SAMPLE_COLUMNS = 'agent_id, kind, subject, rtt_ms, lat, lon, asn, city, updated_at';

export interface SampleRow {
  agent_id: string;
  kind: SampleKind;
  subject: string;
  rtt_ms: number;
  lat: number | null;
  lon: number | null;
  asn: number | null;
  city: string | null;
  updated_at: number;
}

export function sampleFromRow(r: SampleRow): VantageSample {
  return {
    agentId: r.agent_id,
    kind: r.kind,
    subject: r.subject,
    rttMs: r.rtt_ms,
    lat: r.lat,
    lon: r.lon,
    asn: r.asn === null ? null : Number(r.asn),
    city: r.city,
    at: Number(r.updated_at),
  };
}

/** The lowest RTT of each (agent, kind, subject) among these: one statement may not write a row twice. */
export function lowestSamples(samples: readonly VantageSample[]): VantageSample[] {
  const best = new Map<string, VantageSample>();
  for (const s of samples) {
    const key = `${s.agentId}\n${s.kind}\n${s.subject}`;
    const seen = best.get(key);
    if (seen === undefined || s.rttMs < seen.rttMs)
      best.set(key, { ...s, at: Math.max(s.at, seen?.at ?? 0) });
    else best.set(key, { ...seen, at: Math.max(s.at, seen.at) });
  }
  return [...best.values()];
}

// maintenance windows (maintenance-store.ts)

export const MAINTENANCE_COLUMNS = 'id, agent_id, target, starts_at, ends_at, reason, created_at';

export interface MaintenanceRow {
  id: number;
  agent_id: string | null;
  target: string | null;
  starts_at: number;
  ends_at: number;
  reason: string;
  created_at: number;
}

export function maintenanceWindow(r: MaintenanceRow): MaintenanceWindow {
  return {
    id: Number(r.id),
    agentId: r.agent_id,
    target: r.target,
    startsAt: Number(r.starts_at),
    endsAt: Number(r.ends_at),
    reason: r.reason,
    createdAt: Number(r.created_at),
  };
}
