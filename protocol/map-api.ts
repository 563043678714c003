/**
 * The JSON contract between the coordinator and the analysts' map. The coordinator's routes
 * (server/http/routes-map.ts) produce exactly these shapes; the page validates them on receipt (api-guards.ts).
 *
 *   GET /api/v1/map/config                 -> MapConfig
 *   GET /api/v1/map/detours?<DetourQuery>  -> DetourPage   (summaries, newest first)
 *   GET /api/v1/map/detours/:id            -> DetourDetail (404 when unknown)
 *   GET /api/v1/map/routes?<filter>        -> RouteColumns (every matching detour, grouped by route; compact)
 *   GET /api/v1/map/timeline?<filter>&bucket=hour|day -> Timeline (detours per bucket, by foreign country)
 *   New detours arrive on GET /api/v1/events (protocol/events-api.ts): `trace.stored`, its `detour` a summary
 *
 * A summary carries only what the map draws (`path`); the hop table comes with the detail, fetched when an
 * analyst opens a detour. That keeps 2,000 detours near 2 MB of JSON instead of 7.
 *
 * Errors answer `{ error: { code, message } }` with status 400 (bad query) or 404.
 */
import type { LocationPrecision } from './annotated.ts';
import type { LocationStatus } from './history-api.ts';
import type { Confidence, HopStatus } from './verdict.ts';

export const MAP_API = {
  config: '/api/v1/map/config',
  detours: '/api/v1/map/detours',
  routes: '/api/v1/map/routes',
  timeline: '/api/v1/map/timeline',
} as const;

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
  /**
   * The agent's location status now (null for imports and pasted traces). The map leaves contradicted
   * vantages' detours out unless its agent filter names the agent; unverified ones are shown, marked.
   */
  vantage: LocationStatus | null;
}

/** A summary plus every TTL's reading: the hop table. */
export interface DetourDetail extends DetourSummary {
  hops: MapHop[];
  /** The RIPE Atlas probe that measured an imported trace (absent otherwise). */
  probeId?: number;
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
  /** The agent's id or its name (a name may stand for several agents). */
  agent?: string;
  confidence?: Confidence;
  /** The detour is evidence of this incident. */
  incident?: number;
  /** Most items to return (newest first); the server caps it. */
  limit?: number;
}

export interface DetourPage {
  items: DetourSummary[];
  /** How many detours match the filters, regardless of limit. */
  total: number;
  /** With an `agent` filter: the agents it names (by id or name); empty when it names none. */
  agents?: MapAgent[];
}

/**
 * Detours that took the same route, drawn once. A route is the sequence of drawn positions (each placed hop's
 * reading, precision and coordinates rounded to 0.01 degree, about 1 km) between the source and destination
 * positions rounded the same way: what the map would draw, so two traces on one route draw the same line.
 * TTLs, silent hops and addresses do not count (another router in the same city is the same line).
 */
export interface MapRoute {
  /** The route's identity (opaque; stable for the same drawn positions). */
  key: string;
  /** How many matching detours took it. */
  count: number;
  confirmed: number;
  /** Their ids, newest first (`count` of them). */
  ids: number[];
  /** ISO 8601: the oldest and newest of them. */
  firstSeen: string;
  lastSeen: string;
  /** The newest of them: what is drawn, and what a click opens first. */
  latest: DetourSummary;
}

export interface RoutePage {
  /** Most traces first. */
  routes: MapRoute[];
  /** How many detours match. */
  total: number;
  /**
   * How many of them the routes hold (the sum of the counts): all of them, unless more match than one answer
   * groups (then the newest that many; the page says so).
   */
  grouped: number;
  /** With an `agent` filter: the agents it names (by id or name); empty when it names none. */
  agents?: MapAgent[];
}

/** What the map draws and labels of a route's newest detour (the rest comes with the detail, on click). */
export interface RouteDrawing {
  id: number;
  source: Pick<MapEndpoint, 'country' | 'lat' | 'lon'>;
  destination: Pick<MapEndpoint, 'lat' | 'lon'>;
  countries: string[];
  path: PathHop[];
}

/** A route as the page holds it (decoded from RouteColumns): its newest detour reduced to the drawing. */
export interface ShownRoute extends Omit<MapRoute, 'latest'> {
  latest: RouteDrawing;
}

/** The routes answer as the page holds it. */
export interface ShownRoutePage extends Omit<RoutePage, 'routes'> {
  routes: ShownRoute[];
}

/**
 * The routes answer on the wire (issue 21: at 50,000 routes the row form was 39 MiB of JSON, most of it
 * each route's full newest summary): one array per field, route i at index i of each, most traces first.
 * Countries are indexes into `countries`; times are epoch milliseconds; the route key is not sent (the page
 * computes it from the drawn positions, protocol/map-path.ts routeKey). Encoded and decoded by
 * protocol/route-columns.ts.
 */
export interface RouteColumns {
  total: number;
  grouped: number;
  agents?: MapAgent[];
  /** Country codes the routes name, each once. */
  countries: string[];
  count: number[];
  confirmed: number[];
  /** Per route: its detours' ids, newest first. */
  ids: number[][];
  firstSeen: number[];
  lastSeen: number[];
  /** Per route: the id of the detour drawn for it (its newest matching one). */
  id: number[];
  /** Per route: source lat, lon (null when unplaced), then destination lat, lon. */
  ends: (number | null)[][];
  /** Per route: the source's country (index into `countries`, -1 when unknown). */
  sourceCountry: number[];
  /** Per route: the drawn detour's countries in path order (indexes into `countries`). */
  via: number[][];
  /**
   * Per route: the placed hops, five numbers each: ttl, status (index into DRAWN_STATUSES), precision
   * (0 city, 1 country), lat, lon.
   */
  path: number[][];
}

export const TIMELINE_BUCKETS = ['hour', 'day'] as const;
export type TimelineBucket = (typeof TIMELINE_BUCKETS)[number];

/** Detours in one hour or day (UTC), by their first foreign country. */
export interface TimelineBin {
  /** ISO 8601, the bucket's start. */
  start: string;
  /** Foreign country (ISO 3166-1 alpha-2, or `??` when unknown) -> detours. */
  byCountry: Record<string, number>;
  total: number;
}

export interface Timeline {
  /** Chosen by the caller, else by the span: hours for up to three days, days beyond. */
  bucket: TimelineBucket;
  /** Only the buckets that hold a detour, oldest first. */
  bins: TimelineBin[];
}

export interface MapConfig {
  /** A Leaflet tile URL template for online use; null keeps the page fully offline. */
  tileUrl: string | null;
  /** Plain text shown in the attribution control (escaped, never interpreted as HTML). */
  tileAttribution: string | null;
  /** The countries that are home (the first one is named in titles), territories included. */
  homeCountries: string[];
}

/** POST /api/v1/analyze: a pasted traceroute, parsed and judged, never stored. */
export const ANALYZE_API = '/api/v1/analyze';

/** One pasted trace as the map draws it: a detail (with a negative id) plus the verdict and what parsing noted. */
export interface PastedTrace extends DetourDetail {
  pasted: true;
  /** The verdict's kind (detour, no-detour, implausible, ...). */
  verdict: string;
  /** Null unless the verdict is a detour. */
  verdictConfidence: Confidence | null;
  /** One sentence: why this verdict. */
  reason: string;
  /** Whether the physics had a prober position (given, or the source address placed). */
  sourceLocated: boolean;
  /** What the parser skipped or noted, naming the line. */
  warnings: string[];
  /** Why the trace cannot be true (implausible verdicts only). */
  problems: string[];
}

export interface AnalyzeResponse {
  /**
   * False: the paste was judged and forgotten. True only when an operator saved it (`?save=1` with an operator
   * key, issue 13): its traces are stored as origin `paste`.
   */
  stored: boolean;
  /** With `stored`: the stored traces' ids, in order; the same text and location saved again answer the same. */
  storedTraceIds?: number[];
  /** With `stored`: how many this request stored (0 when it had been saved before). */
  newlyStored?: number;
  /** Some trace had no usable prober position: ask for one and send again. */
  needsSourceLocation: boolean;
  traces: PastedTrace[];
}
