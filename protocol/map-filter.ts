import type { DetourQuery, DetourSummary } from './map-api.ts';
import { parseAsn } from './values/asn.ts';
import { parseCountryCode } from './values/country.ts';
import { CONFIDENCES, type Confidence } from './verdict.ts';

/** The analyst's filters: the query without its page size. */
export type DetourFilter = Omit<DetourQuery, 'limit'>;

export const FILTER_KEYS = ['since', 'until', 'country', 'asn', 'agent', 'confidence', 'incident'] as const;

export const isConfidence = (v: string): v is Confidence => (CONFIDENCES as readonly string[]).includes(v);
/**
 * The agent filter names an agent by id or by name (names are the volunteers' own: spaces and any script,
 * but bounded and without control characters, so they fit a URL and a log line).
 */
export const isAgentRef = (v: string): boolean => v.length > 0 && v.length <= 128 && !/[\p{Cc}]/u.test(v);

/** A canonical ISO 8601 instant, or null when `v` is not a date. */
export function normaliseInstant(v: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}/.test(v)) return null;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/**
 * Reads the filter from text fields (a URL or an API query). Empty fields are absent; malformed ones are
 * listed in `invalid`, so callers choose: the page drops them, the API refuses the request.
 */
export function readFilter(get: (key: string) => string | null): { filter: DetourFilter; invalid: string[] } {
  const filter: DetourFilter = {};
  const invalid: string[] = [];
  const text = (key: string): string | undefined => {
    const v = get(key)?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  for (const key of ['since', 'until'] as const) {
    const v = text(key);
    if (v === undefined) continue;
    const instant = normaliseInstant(v);
    if (instant === null) invalid.push(key);
    else filter[key] = instant;
  }
  // The value parsers of every command and of the history API: one grammar for countries and ASNs.
  const valid = <T>(key: string, parse: (v: string) => T): T | undefined => {
    const v = text(key);
    if (v === undefined) return undefined;
    try {
      return parse(v);
    } catch {
      invalid.push(key);
      return undefined;
    }
  };
  const country = valid('country', parseCountryCode);
  if (country !== undefined) filter.country = country;
  const asn = valid('asn', parseAsn);
  if (asn !== undefined) filter.asn = asn;
  const agent = text('agent');
  if (agent !== undefined) {
    if (isAgentRef(agent)) filter.agent = agent;
    else invalid.push('agent');
  }
  const incident = text('incident');
  if (incident !== undefined) {
    if (/^[1-9]\d{0,14}$/.test(incident)) filter.incident = Number(incident);
    else invalid.push('incident');
  }
  const confidence = text('confidence');
  if (confidence !== undefined) {
    if (isConfidence(confidence)) filter.confidence = confidence;
    else invalid.push('confidence');
  }
  return { filter, invalid };
}

/** Whether a detour passes the filter: the same rules the coordinator applies, for detours arriving live. */
export function matchesFilter(d: DetourSummary, f: DetourFilter): boolean {
  if (f.since !== undefined && Date.parse(d.startedAt) < Date.parse(f.since)) return false;
  if (f.until !== undefined && Date.parse(d.startedAt) >= Date.parse(f.until)) return false;
  if (f.country !== undefined && !d.countries.includes(f.country)) return false;
  if (f.asn !== undefined && !d.foreignAsns.includes(f.asn)) return false;
  // Live detours carry no incident yet (it is folded as they are stored): an incident view reloads instead.
  if (f.incident !== undefined) return false;
  if (f.agent !== undefined && d.agent?.id !== f.agent && d.agent?.name !== f.agent) return false;
  if (f.confidence !== undefined && d.confidence !== f.confidence) return false;
  return true;
}

/** Writes the filter's set fields into `params` (the API's query and the page's URL share these names). */
export function writeFilter(f: DetourFilter, params: URLSearchParams): URLSearchParams {
  for (const key of FILTER_KEYS) {
    const v = f[key];
    if (v !== undefined) params.set(key, String(v));
  }
  return params;
}

export function isFilterEmpty(f: DetourFilter): boolean {
  return FILTER_KEYS.every((key) => f[key] === undefined);
}

/** Newest first; ties by id so the order is stable across reloads. */
export function compareNewestFirst(a: DetourSummary, b: DetourSummary): number {
  return Date.parse(b.startedAt) - Date.parse(a.startedAt) || b.id - a.id;
}
