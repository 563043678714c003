/**
 * The JSON contract between the coordinator and the analysts' map. The coordinator's routes
 * (server/http/routes-map.ts) produce exactly these shapes; the page validates them on receipt (api-guards.ts).
 *
 *   GET /api/v1/map/config                 -> MapConfig
 *   GET /api/v1/map/detours?<DetourQuery>  -> DetourPage   (summaries, newest first)
 *   GET /api/v1/map/detours/:id            -> DetourDetail (404 when unknown)
 *   GET /api/v1/map/stream                 -> text/event-stream; event `detour`, data = one DetourSummary
 *
 * A summary carries only what the map draws (`path`); the hop table comes with the detail, fetched when an
 * analyst opens a detour. That keeps 2,000 detours near 2 MB of JSON instead of 7.
 *
 * Errors answer `{ error: { code, message } }` with status 400 (bad query) or 404.
 */
import type { LocationPrecision } from './annotated.ts';
import type { Confidence, HopStatus } from './verdict.ts';

export const MAP_API = {
  config: '/api/v1/map/config',
  detours: '/api/v1/map/detours',
  stream: '/api/v1/map/stream',
} as const;

/** The SSE event name that carries one new detour. */
export const DETOUR_EVENT = 'detour';

/** A hop's reading and a location's precision: the verdict's own literals. */
export type MapHopStatus = HopStatus;
export type MapPrecision = LocationPrecision;

/** What a refuted hop's database claimed ("the database says CN, the RTT says no"). */
export interface ClaimedLocation {
  country: string | null;
  lat: number;
  lon: number;
}

/** One TTL of a detour path, as the hop table and the map need it. */
export interface MapHop {
  ttl: number;
  /** Null when nothing answered at this TTL. */
  ip: string | null;
  /** Reverse-DNS name, when known. Untrusted text. */
  name: string | null;
  asn: number | null;
  /** Organisation behind the ASN. Untrusted text. */
  org: string | null;
  country: string | null;
  city: string | null;
  /** The location the verdict accepted; null for refuted, special, unlocated and silent hops. */
  lat: number | null;
  lon: number | null;
  /** `country`: a country centroid, not a place; drawn as approximate. */
  precision: MapPrecision | null;
  /** Where the location came from (database file name, `declared`, ...). */
  locationSource: string | null;
  /** Lowest RTT seen at this TTL. */
  rttMs: number | null;
  /** The RTT the claimed location needs from the prober. */
  minRttMs: number | null;
  status: MapHopStatus;
  /** Present on refuted hops: where the database put them. */
  claimed?: ClaimedLocation;
}

export interface MapEndpoint {
  ip: string | null;
  country: string | null;
  /** Null when the endpoint could not be placed. */
  lat: number | null;
  lon: number | null;
}

export interface MapAgent {
  id: string;
  /** Chosen by a volunteer. Untrusted text. */
  name: string;
}

/** The readings the map draws a point for. */
export const DRAWN_STATUSES = [
  'home',
  'foreign-confirmed',
  'foreign-probable',
  'refuted',
] as const satisfies readonly HopStatus[];
export type DrawnStatus = (typeof DRAWN_STATUSES)[number];

/** One placed hop of a path: where the verdict put it or, for `refuted`, where the database claimed it was. */
export interface PathHop {
  ttl: number;
  status: DrawnStatus;
  lat: number;
  lon: number;
  precision: MapPrecision;
}

/** One detour verdict, as the list and the map need it. */
export interface DetourSummary {
  id: number;
  /** ISO 8601, UTC. */
  startedAt: string;
  /** The agent that measured it; null for imported measurements (RIPE Atlas). */
  agent: MapAgent | null;
  /** What the agent was asked to trace (host name or address). Untrusted text. */
  target: string;
  source: MapEndpoint;
  destination: MapEndpoint;
  confidence: Confidence;
  /** Distinct countries in path order, home included. */
  countries: string[];
  /** ASNs of the foreign hops in path order. */
  foreignAsns: number[];
  /** The placed hops in TTL order (see `pathOf` in detour-summary.ts). */
  path: PathHop[];
}

/** A summary plus every TTL's reading: the hop table. */
export interface DetourDetail extends DetourSummary {
  hops: MapHop[];
}

/** Filters of GET /api/v1/map/detours; every field optional, all given ones must hold. */
export interface DetourQuery {
  /** startedAt >= since (ISO 8601). */
  since?: string;
  /** startedAt < until (ISO 8601). */
  until?: string;
  /** The path went through this country (ISO 3166-1 alpha-2). */
  country?: string;
  /** A foreign hop belongs to this ASN. */
  asn?: number;
  /** The agent's id. */
  agent?: string;
  confidence?: Confidence;
  /** Most items to return (newest first); the server caps it. */
  limit?: number;
}

export interface DetourPage {
  items: DetourSummary[];
  /** How many detours match the filters, regardless of limit. */
  total: number;
}

export interface MapConfig {
  /** A Leaflet tile URL template for online use; null keeps the page fully offline. */
  tileUrl: string | null;
  /** Plain text shown in the attribution control (escaped, never interpreted as HTML). */
  tileAttribution: string | null;
}
