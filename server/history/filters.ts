import { TRACE_ORIGINS, type TraceOrigin } from '../../protocol/history-api.ts';
import { CONFIDENCES, type Confidence, VERDICT_KINDS, type VerdictKind } from '../../protocol/verdict.ts';
import type { IncidentState } from '../incidents/types.ts';
import { type CursorState, decodeCursor, filterFingerprint } from './cursor.ts';
import {
  asParameter,
  incidentTarget,
  parseAgentId,
  parseAsn,
  parseChoice,
  parseCountry,
  parseInstant,
  parseIntIn,
  parseTarget,
} from './param-parsers.ts';
import { DEFAULT_PAGE, MAX_PAGE, type ParamSpec } from './param-specs.ts';
import { ParameterError } from './parameter-error.ts';

/** Times are epoch ms; `until` is exclusive. Absent filters are null. */
export interface TimeRange {
  since: number | null;
  until: number | null;
}

export interface DetourFilter extends TimeRange {
  country: string | null;
  asn: number | null;
  agent: string | null;
  target: string | null;
  confidence: Confidence | null;
}

export interface TraceFilter extends TimeRange {
  verdict: VerdictKind | null;
  agent: string | null;
  target: string | null;
  origin: TraceOrigin | null;
}

/** An incident matches a time range when it overlaps it. */
export interface IncidentFilter extends TimeRange {
  state: IncidentState | null;
  agent: string | null;
  country: string | null;
  asn: number | null;
  target: string | null;
}

/** The filters that match everything: what an empty query parses to, to spread a single filter onto. */
export const NO_TRACE_FILTER: TraceFilter = {
  since: null,
  until: null,
  verdict: null,
  agent: null,
  target: null,
  origin: null,
};
export const NO_DETOUR_FILTER: DetourFilter = {
  since: null,
  until: null,
  country: null,
  asn: null,
  agent: null,
  target: null,
  confidence: null,
};
export const NO_INCIDENT_FILTER: IncidentFilter = {
  since: null,
  until: null,
  state: null,
  agent: null,
  country: null,
  asn: null,
  target: null,
};

export interface PageRequest {
  limit: number;
  /** Null for the first page. */
  after: number | null;
  /** What relative times were resolved against; carried by cursors so every page sees the same window. */
  now: number;
  fingerprint: string;
}

const MAX_VALUE_CHARS = 1024;

/**
 * The query of one request as plain name -> value, refusing what a route does not know (a misspelt filter
 * must not silently widen an operator's query), repeated parameters and oversized values.
 */
export function readQuery(search: URLSearchParams, specs: readonly ParamSpec[]): Record<string, string> {
  const known = new Set(specs.map((s) => s.name));
  const out: Record<string, string> = {};
  for (const [name, value] of search) {
    if (!known.has(name)) {
      const list = [...known].join(', ') || 'none';
      throw new ParameterError(name.slice(0, 40), `is not a parameter of this route (it takes: ${list})`);
    }
    if (name in out) throw new ParameterError(name, 'is given more than once');
    if (value.length > MAX_VALUE_CHARS)
      throw new ParameterError(name, `is longer than ${MAX_VALUE_CHARS} characters`);
    out[name] = value.trim();
  }
  return out;
}

/** The page request: limit and cursor. The fingerprint covers every other parameter. */
export function readPage(q: Record<string, string>, now: number): PageRequest {
  const { limit, cursor, ...filters } = q;
  const fingerprint = filterFingerprint(filters);
  const state: CursorState | null =
    cursor === undefined || cursor === '' ? null : decodeCursor(cursor, fingerprint);
  return {
    limit: limit === undefined || limit === '' ? DEFAULT_PAGE : parseIntIn('limit', limit, 1, MAX_PAGE),
    after: state?.after ?? null,
    now: state?.now ?? now,
    fingerprint,
  };
}

const opt = <T>(
  q: Record<string, string>,
  name: string,
  parse: (name: string, text: string) => T,
): T | null => {
  const v = q[name];
  return v === undefined || v === '' ? null : parse(name, v);
};

export function readTimeRange(q: Record<string, string>, now: number): TimeRange {
  const since = opt(q, 'since', (n, t) => parseInstant(n, t, now));
  const until = opt(q, 'until', (n, t) => parseInstant(n, t, now));
  if (since !== null && until !== null && until <= since) {
    throw new ParameterError('until', 'must be later than since');
  }
  return { since, until };
}

export function readDetourFilter(q: Record<string, string>, now: number): DetourFilter {
  return {
    ...readTimeRange(q, now),
    country: opt(q, 'country', parseCountry),
    asn: opt(q, 'asn', parseAsn),
    agent: opt(q, 'agent', parseAgentId),
    target: opt(q, 'target', parseTarget),
    confidence: opt(q, 'confidence', (n, t) => parseChoice(n, t, CONFIDENCES)),
  };
}

export function readTraceFilter(q: Record<string, string>, now: number): TraceFilter {
  return {
    ...readTimeRange(q, now),
    verdict: opt(q, 'verdict', (n, t) => parseChoice(n, t, VERDICT_KINDS)),
    agent: opt(q, 'agent', parseAgentId),
    target: opt(q, 'target', parseTarget),
    origin: opt(q, 'origin', (n, t) => parseChoice<TraceOrigin>(n, t, TRACE_ORIGINS)),
  };
}

export function readIncidentFilter(q: Record<string, string>, now: number): IncidentFilter {
  return {
    ...readTimeRange(q, now),
    state: opt(q, 'state', (n, t) => parseChoice<IncidentState>(n, t, ['open', 'closed'])),
    agent: opt(q, 'agent', parseAgentId),
    country: opt(q, 'country', parseCountry),
    asn: opt(q, 'asn', parseAsn),
    target: opt(q, 'target', (n, t) => asParameter(n, () => incidentTarget(t))),
  };
}

/** A positive row id from a path segment. */
export function readId(name: string, text: string): number {
  return parseIntIn(name, text, 1, Number.MAX_SAFE_INTEGER);
}
