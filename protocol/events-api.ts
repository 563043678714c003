/**
 * The replayable event stream (issue 12): every change the map and alert consumers care about, numbered in
 * the store's events table in commit order, served as Server-Sent Events by any coordinator sharing the store.
 *
 *   GET /api/v1/events[?after=SEQ][&types=T1,T2]   -> text/event-stream
 *
 * Each stored event is one SSE message: `id:` its sequence number, `event:` its type, `data:` one
 * StreamEvent as JSON. A client resumes with the `Last-Event-ID` header (EventSource sends it by itself on
 * reconnect) or `?after=SEQ`; without either the stream starts with what is stored from now on. Sequence
 * numbers only grow; they may skip values (a rolled-back write), so a reader never waits for a gap.
 *
 * Control messages are not stored: `hello` (first, StreamHello; its `id:` is the seq the stream starts after,
 * so a client cut off before any event resumes from there), `events.lost` (no id: the events a client asked
 * for were deleted by retention, EventsLost: never a silent gap), `dropped` (no id: the last message to a
 * client that fell too far behind; it reconnects and resumes).
 */
import type { IncidentItem, TraceOrigin } from './history-api.ts';
import { INCIDENT_EVENT_KINDS } from './history-api.ts';
import type { DetourSummary } from './map-api.ts';
import type { Confidence, VerdictKind } from './verdict.ts';

export const EVENTS_API = { stream: '/api/v1/events' } as const;

export const TRACE_STORED = 'trace.stored';
export const PLACEMENT_CHANGED = 'placement.changed';

/** Every type of stored event: a trace stored, each incident event the fold raises, a placement changed. */
export const STORED_EVENT_TYPES = [TRACE_STORED, ...INCIDENT_EVENT_KINDS, PLACEMENT_CHANGED] as const;
export type StoredEventType = (typeof STORED_EVENT_TYPES)[number];

export const HELLO_EVENT = 'hello';
export const EVENTS_LOST_EVENT = 'events.lost';
export const DROPPED_EVENT = 'dropped';

/** What `trace.stored` says of a trace: what a live feed shows without fetching it. */
export interface TraceStoredData {
  traceId: number;
  /** ISO 8601. */
  startedAt: string;
  origin: TraceOrigin;
  agentId: string | null;
  verdict: VerdictKind;
  confidence: Confidence | null;
  /** Distinct countries in path order, home included. */
  countries: string[];
  foreignCountries: string[];
  foreignAsns: number[];
  destinationIp: string | null;
  /**
   * Added as the stream sends it, for a detour: the summary the map draws (protocol/map-api.ts). Null when
   * the trace is no detour, is gone, or came from a contradicted vantage (the map leaves those out).
   */
  detour?: DetourSummary | null;
}

/** What an incident event says: the incident as the history API lists it, without its witness list. */
export type IncidentEventData = Omit<IncidentItem, 'witnessList'>;

/** What `placement.changed` says: written by the re-judging step; a JSON object of its own. */
export type PlacementChangedData = Record<string, unknown>;

/** One stored event as the stream sends it. */
export interface StreamEvent {
  seq: number;
  type: StoredEventType;
  /** ISO 8601: when the change was made. */
  at: string;
  data: TraceStoredData | IncidentEventData | PlacementChangedData;
}

export interface StreamHello {
  /** The stream sends the stored events after this sequence number. */
  after: number;
  /** The newest sequence number stored when the stream began. */
  last: number;
  /** The types it sends (all when the request named none). */
  types: StoredEventType[];
}

export interface EventsLost {
  /** The client asked for the events after this sequence number... */
  after: number;
  /** ...and retention had deleted every event up to this one: those between were lost to this client. */
  prunedThrough: number;
  reason: string;
}

export interface StreamDropped {
  reason: string;
}
