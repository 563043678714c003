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
  /** The first public hop when a City database placed it at city level; null when unknown or not at hand. */
  firstHop?: LocatedReply | null;
  /** The lowest RTT of a reply from the destination itself (the mesh reads agent-to-agent RTTs from it). */
  destinationRttMs?: number | null;
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

/** What alerts are sent for. Incidents that were over before they were recorded (old imports) raise none. */
export interface IncidentEvent {
  kind: IncidentEventKind;
  incident: Incident;
  /** Epoch ms when the tracker noticed. */
  at: number;
}

/** The normal path of one (vantage point, target) pair, and the latest seen, so a change is visible. */
export interface Baseline {
  subject: string;
  agentId: string | null;
  target: string;
  /** The latest domestic path: the pair's normal. Null until a domestic trace was seen. */
  normal: BaselinePath | null;
  /** The latest judged path (domestic or detour). */
  latest: BaselinePath & { verdict: VerdictKind; traceId: number };
  /** Whether the latest path differs from the normal one (countries or ASNs). */
  changed: boolean;
}

export interface BaselinePath {
  countries: string[];
  asns: number[] | null;
  /** Epoch ms: since when this path has been seen without interruption by another path. */
  since: number;
  lastSeen: number;
  traces: number;
}
