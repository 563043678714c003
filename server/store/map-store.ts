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
}

/** The analysts' map: detours by the history filters, one detour, and what is new since a trace id. */
export interface MapStore {
  /** Matching detours, newest first (by start time, then id), at most `limit`; `total` counts all matches. */
  mapDetours(filter: DetourFilter, limit: number): Promise<{ detours: MapDetourRecord[]; total: number }>;
  mapDetour(id: number): Promise<MapDetourRecord | null>;
  /**
   * Detours with an id above `afterId`, in id order, at most `limit`: the live feed polls this, so it sees
   * every detour in the store, also those another coordinator sharing it wrote.
   */
  detoursAfter(afterId: number, limit: number): Promise<MapDetourRecord[]>;
  /** The highest trace id stored, 0 when none: where a live feed starts. */
  lastTraceId(): Promise<number>;
}
