import {
  type DetourPage,
  type DetourSummary,
  DRAWN_STATUSES,
  type DrawnStatus,
  type MapConfig,
  type MapHop,
} from '../../protocol/map-api.ts';
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
  return listProblem(v.path, 'path', pathHopProblem);
}

export function detailProblem(v: unknown): string | null {
  return detourProblem(v) ?? listProblem((v as Json).hops, 'hops', hopProblem);
}

export function isDetourSummary(v: unknown): v is DetourSummary {
  return detourProblem(v) === null;
}

/** Keeps the valid items of a page; `dropped` counts the rest so the page can say so. */
export function readDetourPage(v: unknown): { page: DetourPage; dropped: number } {
  if (!isObject(v) || !Array.isArray(v.items) || !isNum(v.total)) {
    throw new Error('the coordinator answered something that is not a list of detours');
  }
  const items = v.items.filter(isDetourSummary);
  return { page: { items, total: v.total }, dropped: v.items.length - items.length };
}

export function readMapConfig(v: unknown): MapConfig {
  if (!isObject(v) || !isStrOrNull(v.tileUrl) || !isStrOrNull(v.tileAttribution)) {
    throw new Error('the coordinator answered a map configuration this page does not understand');
  }
  return { tileUrl: v.tileUrl as string | null, tileAttribution: v.tileAttribution as string | null };
}
