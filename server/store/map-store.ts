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

/** The analysts' map: detours by the map's filter, one detour, and what is new since a trace id. */
export interface MapStore {
  /** Matching detours, newest first (by start time, then id), at most `limit`; `total` counts all matches. */
  mapDetours(filter: MapFilter, limit: number): Promise<{ detours: MapDetourRecord[]; total: number }>;
  /** Matching detours counted per `bucketMs` (UTC epoch multiples) and first foreign country. */
  mapTimeline(filter: MapFilter, bucketMs: number): Promise<TimelineCount[]>;
  /** The first and last start time (epoch ms) of the matching detours; null when none matches. */
  mapTimeSpan(filter: MapFilter): Promise<{ first: number; last: number } | null>;
  /** The agents whose id or name is `ref`. */
  mapAgents(ref: string): Promise<{ id: string; name: string }[]>;
  mapDetour(id: number): Promise<MapDetourRecord | null>;
  /**
   * Detours with an id above `afterId`, in id order, at most `limit`: the live feed polls this, so it sees
   * every detour in the store, also those another coordinator sharing it wrote.
   */
  detoursAfter(afterId: number, limit: number): Promise<MapDetourRecord[]>;
  /** The highest trace id stored, 0 when none: where a live feed starts. */
  lastTraceId(): Promise<number>;
}
