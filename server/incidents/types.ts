import type { LocationStatus } from '../../protocol/history-api.ts';
import type { Confidence, VerdictKind } from '../../protocol/verdict.ts';

/** A located reply an observation carries for the vantage checks (server/trust): where, and how fast. */
export interface LocatedReply {
  ip: string;
  lat: number;
  lon: number;
  rttMs: number;
  asn: number | null;
  city: string | null;
}

/** What incident grouping and baselines need to know about one stored trace. */
export interface TraceObservation {
  traceId: number;
  /** The agent that measured it; null for imported traces (their source region stands in). */
  agentId: string | null;
  /** Where the prober was; for imports the only hint of which vantage point this is. */
  sourcePosition: { lat: number; lon: number } | null;
  sourceIp: string | null;
  destinationIp: string | null;
  /** Epoch milliseconds. */
  startedAt: number;
  verdict: VerdictKind;
  confidence: Confidence | null;
  /** Distinct foreign countries in path order. */
  foreignCountries: string[];
  /** ASNs of the foreign hops in path order. */
  foreignAsns: number[];
  /** Distinct countries of the whole path in order, home included. */
  pathCountries: string[];
  /** Distinct ASNs of the whole path in order; null when the pipeline did not report them. */
  pathAsns: number[] | null;
  /** The first responder per TTL (null: no reply), for router-level baselines; absent when not at hand. */
  pathRouters?: (string | null)[] | null;
  /** The first public hop when a City database placed it at city level; null when unknown or not at hand. */
  firstHop?: LocatedReply | null;
  /** The lowest RTT of a reply from the destination itself (the mesh reads agent-to-agent RTTs from it). */
  destinationRttMs?: number | null;
  /** It arrived long after it started (`serve --late-after`; issue 14): its events say so. */
  late?: boolean;
}

/**
 * What the fold knows of an agent as a witness (server/trust writes it, the fold reads it): who runs it, from
 * which network, and how far its location is believed.
 */
export interface VantageFacts {
  agentId: string;
  owner: string | null;
  addressPrefix: string | null;
  asn: number | null;
  city: string | null;
  status: LocationStatus;
}

/** A vantage point that saw an incident. Times are epoch ms. */
export interface Witness {
  subject: string;
  agentId: string | null;
  owner: string | null;
  addressPrefix: string | null;
  asn: number | null;
  city: string | null;
  status: LocationStatus;
  firstSeen: number;
  lastSeen: number;
  traces: number;
}

export type { IncidentState } from '../../protocol/history-api.ts';

import type { IncidentState } from '../../protocol/history-api.ts';

/**
 * Consecutive detours that share a cause: the same destination prefix and the same foreign countries and ASNs
 * in the same order, seen from any vantage point (each one a witness). `subject` and `agentId` name the
 * vantage point that saw it first. Times are epoch ms.
 */
export interface Incident {
  id: number;
  key: string;
  subject: string;
  agentId: string | null;
  destinationPrefix: string;
  countries: string[];
  asns: number[];
  firstSeen: number;
  lastSeen: number;
  traceCount: number;
  /** How many of the traces were `confirmed` detours (the rest `probable`). */
  confirmedCount: number;
  state: IncidentState;
  /** lastSeen + the quiet period: when the detour had been gone long enough to call it over. */
  closedAt: number | null;
  /**
   * The latest domestic trace of the same vantage point to the same prefix after `lastSeen` (and within the
   * quiet period of it): the answer to "is it still happening?" before the quiet period has run out.
   */
  lastClearAt: number | null;
  firstTraceId: number;
  lastTraceId: number;
  /** Every vantage point that saw it, first seen first (at most MAX_WITNESSES_KEPT). */
  witnesses: Witness[];
  /** How many witnesses count after the per-owner cap. */
  witnessCount: number;
  /** When enough independent verified witnesses had seen it; null until then. */
  corroboratedAt: number | null;
}

/** What an incident's key is made of. */
export interface IncidentKey {
  key: string;
  subject: string;
  destinationPrefix: string;
  countries: string[];
  asns: number[];
}

export type { IncidentEventKind } from '../../protocol/history-api.ts';

import type { IncidentEventKind } from '../../protocol/history-api.ts';

/**
 * What alerts are sent for. A late detour (an outbox replayed, an import) raises its events like any other,
 * also when its incident was over before it was recorded (opened, then closed at once).
 */
export interface IncidentEvent {
  kind: IncidentEventKind;
  incident: Incident;
  /** Epoch ms when the tracker noticed. */
  at: number;
  /** Raised by a late trace, or by an incident that was over before it was recorded. */
  late?: boolean;
}

/**
 * The usual path of one (vantage point, target) pair and the latest seen, so a change is visible: the most
 * frequent AS-level and router-level paths over a window of recent judged traces (server/incidents/baseline.ts).
 */
export interface Baseline {
  subject: string;
  agentId: string | null;
  target: string;
  /** The usual AS-level path (the most frequent in the window). Null until a judged trace with known ASNs. */
  normal: UsualPath | null;
  /** The usual router-level path (addresses by TTL, null for no reply); null until one was seen. */
  routers?: UsualRouterPath | null;
  /** The latest judged path (domestic or detour). */
  latest: BaselinePath & { verdict: VerdictKind; traceId: number };
  /** Whether the latest path differs from the usual one (countries or ASNs), or left home. */
  changed: boolean;
  /** The counts the usual paths come from; absent on a baseline stored before issue 14 (rebuilt from `normal`). */
  tally?: PathTally;
}

export interface BaselinePath {
  countries: string[];
  asns: number[] | null;
  /** Epoch ms: since when this path has been seen without interruption by another path. */
  since: number;
  lastSeen: number;
  traces: number;
}

/** The usual AS-level path: a path with its share of the window ("AS7018 AS3356: 83% of 48 traces"). */
export interface UsualPath extends BaselinePath {
  /** Traces in the window with a known AS path; `traces` of them took this one. */
  of: number;
  share: number;
  /** Whether the latest trace on this path was a detour. */
  leftHome: boolean;
}

export interface UsualRouterPath {
  /** The first responder per TTL; null where nothing answered. */
  hops: (string | null)[];
  since: number;
  lastSeen: number;
  traces: number;
  of: number;
  share: number;
}

/** A distinct path in a pair's window; `id` is what window entries refer to (0: a path no longer kept). */
export interface TalliedAsPath {
  id: number;
  asns: number[];
  countries: string[];
  leftHome: boolean;
  firstSeen: number;
  lastSeen: number;
}

export interface TalliedRouterPath {
  id: number;
  hops: (string | null)[];
  firstSeen: number;
  lastSeen: number;
}

/**
 * The bounded state behind a baseline: the last N judged traces as [startedAt, AS path id, router path id]
 * (ids 0 or null: evicted or unknown), oldest first, and the distinct paths they refer to (capped).
 */
export interface PathTally {
  nextId: number;
  asPaths: TalliedAsPath[];
  routerPaths: TalliedRouterPath[];
  recent: [at: number, as: number | null, router: number | null][];
  usualAs: number | null;
  usualRouter: number | null;
}

export type { RouteChangeKind } from '../../protocol/history-api.ts';

import type { RouteChangeKind } from '../../protocol/history-api.ts';

/** One side of a route change: an AS path with its share of the pair's window at that moment. */
export interface RouteChangePath {
  asns: number[];
  countries: string[];
  traces: number;
  of: number;
  share: number;
  leftHome: boolean;
}

/**
 * A pair's AS path changed (issue 14): `new-path` when a trace showed an AS path not in the window and other
 * than the usual one, `new-usual` when another path became the usual. Times are epoch ms.
 */
export interface RouteChange {
  subject: string;
  agentId: string | null;
  target: string;
  kind: RouteChangeKind;
  at: number;
  traceId: number;
  before: RouteChangePath;
  after: RouteChangePath;
  /** Whether the trace that showed it left home (a detour). */
  leftHome: boolean;
}
