import { LOCATION_STATUSES } from '../../protocol/history-api.ts';
import {
  type DetourPage,
  type DetourSummary,
  DRAWN_STATUSES,
  type DrawnStatus,
  type MapAgent,
  type MapConfig,
  type RouteColumns,
  type ShownRoute,
  type ShownRoutePage,
  TIMELINE_BUCKETS,
  type Timeline,
  type TimelineBin,
} from '../../protocol/map-api.ts';
import { decodeRoute } from '../../protocol/route-columns.ts';
import { CONFIDENCES, HOP_STATUSES } from '../../protocol/verdict.ts';

/**
 * Shape checks for what the page receives. The coordinator is ours, but a record it relays may be damaged or
 * a proxy may answer with something else; one bad record must cost one list row, not the whole page.
 * Each check returns the name of the first offending field, or null when the value fits.
 */

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isNumOrNull = (v: unknown): boolean => v === null || isNum(v);
const isStrOrNull = (v: unknown): boolean => v === null || typeof v === 'string';
const isLat = (v: unknown): boolean => isNum(v) && v >= -90 && v <= 90;
const isLon = (v: unknown): boolean => isNum(v) && v >= -180 && v <= 180;
const isLatOrNull = (v: unknown): boolean => v === null || isLat(v);
const isLonOrNull = (v: unknown): boolean => v === null || isLon(v);

function endpointProblem(v: unknown, field: string): string | null {
  if (!isObject(v)) return field;
  if (!isStrOrNull(v.ip)) return `${field}.ip`;
  if (!isStrOrNull(v.country)) return `${field}.country`;
  if (!isLatOrNull(v.lat)) return `${field}.lat`;
  if (!isLonOrNull(v.lon)) return `${field}.lon`;
  return null;
}

function hopProblem(v: unknown, field: string): string | null {
  if (!isObject(v)) return field;
  if (!isNum(v.ttl)) return `${field}.ttl`;
  for (const key of ['ip', 'name', 'org', 'country', 'city', 'locationSource'] as const) {
    if (!isStrOrNull(v[key])) return `${field}.${key}`;
  }
  for (const key of ['asn', 'rttMs', 'minRttMs'] as const) {
    if (!isNumOrNull(v[key])) return `${field}.${key}`;
  }
  if (!isLatOrNull(v.lat)) return `${field}.lat`;
  if (!isLonOrNull(v.lon)) return `${field}.lon`;
  if (v.precision !== null && v.precision !== 'city' && v.precision !== 'country')
    return `${field}.precision`;
  if (!(HOP_STATUSES as readonly string[]).includes(v.status as string)) return `${field}.status`;
  if (v.claimed !== undefined) {
    const c = v.claimed;
    if (!isObject(c) || !isStrOrNull(c.country) || !isLat(c.lat) || !isLon(c.lon)) return `${field}.claimed`;
  }
  return null;
}

function pathHopProblem(v: unknown, field: string): string | null {
  if (!isObject(v)) return field;
  if (!isNum(v.ttl)) return `${field}.ttl`;
  if (!DRAWN_STATUSES.includes(v.status as DrawnStatus)) return `${field}.status`;
  if (!isLat(v.lat)) return `${field}.lat`;
  if (!isLon(v.lon)) return `${field}.lon`;
  if (v.precision !== 'city' && v.precision !== 'country') return `${field}.precision`;
  return null;
}

function listProblem(
  v: unknown,
  field: string,
  item: (x: unknown, f: string) => string | null,
): string | null {
  if (!Array.isArray(v)) return field;
  for (let i = 0; i < v.length; i++) {
    const problem = item(v[i], `${field}[${i}]`);
    if (problem) return problem;
  }
  return null;
}

export function detourProblem(v: unknown): string | null {
  if (!isObject(v)) return 'detour';
  if (!isNum(v.id)) return 'id';
  if (typeof v.startedAt !== 'string' || Number.isNaN(Date.parse(v.startedAt))) return 'startedAt';
  if (
    v.agent !== null &&
    (!isObject(v.agent) || typeof v.agent.id !== 'string' || typeof v.agent.name !== 'string')
  ) {
    return 'agent';
  }
  if (typeof v.target !== 'string') return 'target';
  const endpoint = endpointProblem(v.source, 'source') ?? endpointProblem(v.destination, 'destination');
  if (endpoint) return endpoint;
  if (!(CONFIDENCES as readonly string[]).includes(v.confidence as string)) return 'confidence';
  if (!Array.isArray(v.countries) || !v.countries.every((c) => typeof c === 'string')) return 'countries';
  if (!Array.isArray(v.foreignAsns) || !v.foreignAsns.every(isNum)) return 'foreignAsns';
  if (v.vantage !== null && !(LOCATION_STATUSES as readonly string[]).includes(v.vantage as string)) {
    return 'vantage';
  }
  return listProblem(v.path, 'path', pathHopProblem);
}

export function detailProblem(v: unknown): string | null {
  return detourProblem(v) ?? listProblem((v as Json).hops, 'hops', hopProblem);
}

export function isDetourSummary(v: unknown): v is DetourSummary {
  return detourProblem(v) === null;
}

const isMapAgent = (v: unknown): v is MapAgent =>
  isObject(v) && typeof v.id === 'string' && typeof v.name === 'string';

/** An agent filter's resolution, when the answer carries one. */
function agentsOf(v: Json): { agents?: MapAgent[] } {
  if (v.agents === undefined) return {};
  if (!Array.isArray(v.agents)) throw new Error('the coordinator answered a damaged agent list');
  return { agents: v.agents.filter(isMapAgent) };
}

/** Keeps the valid items of a page; `dropped` counts the rest so the page can say so. */
export function readDetourPage(v: unknown): { page: DetourPage; dropped: number } {
  if (!isObject(v) || !Array.isArray(v.items) || !isNum(v.total)) {
    throw new Error('the coordinator answered something that is not a list of detours');
  }
  const items = v.items.filter(isDetourSummary);
  return { page: { items, total: v.total, ...agentsOf(v) }, dropped: v.items.length - items.length };
}

const COLUMNS = [
  'count',
  'confirmed',
  'ids',
  'firstSeen',
  'lastSeen',
  'id',
  'ends',
  'sourceCountry',
  'via',
  'path',
] as const satisfies readonly (keyof RouteColumns)[];

/**
 * Decodes the compact routes answer (RouteColumns), keeping the well-formed routes; `dropped` counts the
 * detours on damaged ones, so the page can say so.
 */
export function readRoutePage(v: unknown): { page: ShownRoutePage; dropped: number } {
  if (
    !isObject(v) ||
    !isNum(v.total) ||
    !isNum(v.grouped) ||
    !Array.isArray(v.countries) ||
    !Array.isArray(v.count) ||
    !COLUMNS.every((c) => Array.isArray(v[c]) && (v[c] as unknown[]).length === (v.count as unknown[]).length)
  ) {
    throw new Error('the coordinator answered something that is not a list of routes');
  }
  const cols = v as unknown as RouteColumns;
  const routes: ShownRoute[] = [];
  for (let i = 0; i < cols.count.length; i++) {
    try {
      routes.push(decodeRoute(cols, i));
    } catch {
      // One damaged route costs its own traces (counted below), not the page.
    }
  }
  const kept = routes.reduce((n, r) => n + r.count, 0);
  return {
    page: { routes, total: v.total, grouped: v.grouped, ...agentsOf(v) },
    dropped: Math.max(0, v.grouped - kept),
  };
}

function isBin(v: unknown): v is TimelineBin {
  return (
    isObject(v) &&
    typeof v.start === 'string' &&
    !Number.isNaN(Date.parse(v.start)) &&
    isNum(v.total) &&
    isObject(v.byCountry) &&
    Object.values(v.byCountry).every(isNum)
  );
}

export function readTimeline(v: unknown): Timeline {
  if (
    !isObject(v) ||
    !(TIMELINE_BUCKETS as readonly unknown[]).includes(v.bucket) ||
    !Array.isArray(v.bins) ||
    !v.bins.every(isBin)
  ) {
    throw new Error('the coordinator answered a timeline this page does not understand');
  }
  return v as unknown as Timeline;
}

export function readMapConfig(v: unknown): MapConfig {
  if (!isObject(v) || !isStrOrNull(v.tileUrl) || !isStrOrNull(v.tileAttribution)) {
    throw new Error('the coordinator answered a map configuration this page does not understand');
  }
  // An older coordinator sends no home: the analysis's default.
  const home = Array.isArray(v.homeCountries)
    ? v.homeCountries.filter((c) => typeof c === 'string' && /^[A-Z]{2}$/.test(c))
    : [];
  return {
    tileUrl: v.tileUrl as string | null,
    tileAttribution: v.tileAttribution as string | null,
    homeCountries: home.length > 0 ? home : ['US'],
  };
}

/** What the incidents view shows of GET /api/v1/incidents; witnesses only when the coordinator counts them. */
export interface IncidentRow {
  id: number;
  state: string;
  agentId: string | null;
  destinationPrefix: string;
  countries: string[];
  asns: number[];
  firstSeen: string;
  lastSeen: string;
  traceCount: number;
  confirmedCount: number;
  witnesses: number | null;
  corroborated: boolean | null;
}

function incidentRow(v: unknown): IncidentRow | null {
  if (!isObject(v) || !isNum(v.id) || typeof v.state !== 'string') return null;
  if (!Array.isArray(v.countries) || !v.countries.every((c) => typeof c === 'string')) return null;
  if (!Array.isArray(v.asns) || !v.asns.every(isNum)) return null;
  if (typeof v.firstSeen !== 'string' || typeof v.lastSeen !== 'string') return null;
  if (!isNum(v.traceCount) || !isNum(v.confirmedCount) || typeof v.destinationPrefix !== 'string')
    return null;
  return {
    id: v.id,
    state: v.state,
    agentId: typeof v.agentId === 'string' ? v.agentId : null,
    destinationPrefix: v.destinationPrefix,
    countries: v.countries as string[],
    asns: v.asns as number[],
    firstSeen: v.firstSeen,
    lastSeen: v.lastSeen,
    traceCount: v.traceCount,
    confirmedCount: v.confirmedCount,
    witnesses: isNum(v.witnesses) ? v.witnesses : null,
    corroborated: typeof v.corroborated === 'boolean' ? v.corroborated : null,
  };
}

export function readIncidents(v: unknown): { incidents: IncidentRow[]; more: boolean } {
  if (!isObject(v) || !Array.isArray(v.incidents)) {
    throw new Error('the coordinator answered something that is not a list of incidents');
  }
  const incidents = v.incidents.map(incidentRow).filter((x): x is IncidentRow => x !== null);
  return { incidents, more: typeof v.nextCursor === 'string' };
}

/** An agent marker: where the agent says it is (rounded by the coordinator) and how far that is believed. */
export interface AgentMarkerData {
  id: string;
  name: string;
  connected: boolean;
  lat: number;
  lon: number;
  /** `verified`, `unverified`, `contradicted`; null when the coordinator does not say. */
  locationStatus: string | null;
}

export function readAgents(v: unknown): AgentMarkerData[] {
  if (!isObject(v) || !Array.isArray(v.agents)) {
    throw new Error('the coordinator answered something that is not a list of agents');
  }
  const out: AgentMarkerData[] = [];
  for (const a of v.agents) {
    if (!isObject(a) || typeof a.id !== 'string' || typeof a.name !== 'string') continue;
    const loc = a.location;
    if (!isObject(loc) || !isLat(loc.lat) || !isLon(loc.lon)) continue;
    out.push({
      id: a.id,
      name: a.name,
      connected: a.connected === true,
      lat: loc.lat as number,
      lon: loc.lon as number,
      locationStatus: typeof a.locationStatus === 'string' ? a.locationStatus : null,
    });
  }
  return out;
}
