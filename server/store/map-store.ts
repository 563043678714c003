import type { LocationStatus } from '../../protocol/history-api.ts';
import type { Confidence, Verdict } from '../../protocol/verdict.ts';
import type { DetourFilter } from '../history/filters.ts';

/** What the store holds about one detour, as the map needs it (server/http/map-detour.ts draws it). */
export interface MapDetourRecord {
  id: number;
  startedAt: string;
  agentId: string | null;
  agentName: string | null;
  /** What the agent was asked to trace, else the trace's destination name or address. */
  target: string;
  /** Where the prober was (the agent's declared location, an Atlas probe's). */
  sourcePosition: { lat: number; lon: number } | null;
  confidence: Confidence;
  verdict: Verdict;
  /** The agent's location status now; null for imports. */
  vantage: LocationStatus | null;
  /** The RIPE Atlas probe of an imported trace. */
  probeId?: number | null;
}

/**
 * The map's filter: the history's detour filter, except that `agent` names an agent by id OR name (a name
 * may stand for several agents), plus the incident whose evidence the detours are.
 */
export interface MapFilter extends Omit<DetourFilter, 'agent'> {
  agent: string | null;
  /** Absent or null: any (the history's filters can be passed as they are). */
  incident?: number | null;
}

/** Detours of one time bucket and first foreign country (null when the verdict named none). */
export interface TimelineCount {
  /** Epoch ms, the bucket's start (a multiple of the bucket's length). */
  start: number;
  country: string | null;
  count: number;
}

/**
 * What grouping matching detours by route needs, without their verdicts (issue 21: 200,000 in one answer), in
 * columns: the i-th detour is `ids[i]`, started at `startedAt[i]` (epoch ms), confirmed when `confirmed[i]`.
 */
export interface MapDetourKeys {
  ids: number[];
  startedAt: number[];
  confirmed: boolean[];
}

/** Columns in newest-first order (by start time, then id): both engines read unordered and sort here. */
export function newestFirst(ids: number[], startedAt: number[], confirmed: boolean[]): MapDetourKeys {
  const order = Array.from(ids.keys()).sort(
    (a, b) => (startedAt[b] as number) - (startedAt[a] as number) || (ids[b] as number) - (ids[a] as number),
  );
  return {
    ids: order.map((i) => ids[i] as number),
    startedAt: order.map((i) => startedAt[i] as number),
    confirmed: order.map((i) => confirmed[i] as boolean),
  };
}

/** The analysts' map: detours by the map's filter, their timeline and time span, one detour. */
export interface MapStore {
  /** Every matching detour's id, start time and confidence, newest first (by start time, then id); no limit. */
  mapDetourKeys(filter: MapFilter): Promise<MapDetourKeys>;
  /** These detours (contradicted vantages' too), in any order; ids that are not detours are left out. */
  mapDetoursByIds(ids: readonly number[]): Promise<MapDetourRecord[]>;
  /** Matching detours, newest first (by start time, then id), at most `limit`; `total` counts all matches. */
  mapDetours(filter: MapFilter, limit: number): Promise<{ detours: MapDetourRecord[]; total: number }>;
  /** Matching detours counted per `bucketMs` (UTC epoch multiples) and first foreign country. */
  mapTimeline(filter: MapFilter, bucketMs: number): Promise<TimelineCount[]>;
  /** The first and last start time (epoch ms) of the matching detours; null when none matches. */
  mapTimeSpan(filter: MapFilter): Promise<{ first: number; last: number } | null>;
  /** The agents whose id or name is `ref`. */
  mapAgents(ref: string): Promise<{ id: string; name: string }[]>;
  mapDetour(id: number): Promise<MapDetourRecord | null>;
  /** The highest trace id stored, 0 when none. (New detours reach the map on the event stream, event-store.ts.) */
  lastTraceId(): Promise<number>;
}
