import type { Trace } from './trace.ts';

/**
 * What an address is before any database is asked. Only `global` addresses are ever looked up:
 * databases answer real-looking countries for private space, and that would invent detours.
 */
export type AddressClass =
  | 'global'
  | 'private'
  | 'cgnat'
  | 'loopback'
  | 'link-local'
  | 'documentation'
  | 'multicast'
  | 'unspecified'
  | 'benchmarking'
  | 'reserved';

/**
 * How precise a placement is. `country` marks a database's country-centroid answer (GeoLite2 puts many US
 * routers at 37.751,-97.822): it names a country, not a place, and must never be drawn as a precise point.
 */
export const LOCATION_PRECISIONS = ['city', 'country'] as const;
export type LocationPrecision = (typeof LOCATION_PRECISIONS)[number];

/**
 * Where a placement came from. `city-db`: a City database (embedded GeoLite2 or the user's own file; `database`
 * names which). `declared`: given by the user or the agent (the prober's own position). `hostname`: read from
 * the router's reverse name (`database` names the dictionary). `constraint`: the RTTs from several vantage
 * points leave room only there. `operator`: an operator's correction.
 */
export const LOCATION_SOURCES = ['city-db', 'declared', 'hostname', 'constraint', 'operator'] as const;
export type LocationSource = (typeof LOCATION_SOURCES)[number];

/** Which kind of claim a hop's placement rests on, best first: what the hop table and the exports name. */
export const PLACEMENT_SOURCES = ['operator', 'hostname', 'database', 'constraint'] as const;
export type PlacementSource = (typeof PLACEMENT_SOURCES)[number];

/**
 * What became of one claim about a router's place. `chosen`: the placement. `consistent`: the RTTs allow it but
 * a better claim won. `refuted`: an RTT rules it out. `ambiguous`: the name reads as places too far apart to
 * choose. `untested`: no RTT from a known position could check it, so it is not used. `not-trusted`: the RTTs
 * allow it but the reading is too weak to move the hop abroad.
 */
export const CLAIM_STATUSES = [
  'chosen',
  'consistent',
  'refuted',
  'ambiguous',
  'untested',
  'not-trusted',
] as const;
export type ClaimStatus = (typeof CLAIM_STATUSES)[number];

/** The RTT that rules a claim out: one vantage's disc that the claimed place lies outside. */
export interface ClaimRefutation {
  /** "the prober", "the Seattle agent". */
  vantage: string;
  /** Whether the vantage is this trace's own prober (then it is the verdict's `own-rtt` refutation). */
  byProber: boolean;
  rttMs: number;
  /** rtt x km-per-ms: how far from the vantage the router can be. */
  maxKm: number;
  /** How far from the vantage the claim is, less its radius. */
  claimedKm: number;
}

export interface PlacementClaim {
  source: PlacementSource;
  /** Hostname claims: the rule that read it (`iata`, `clli`, `city-name`, ...); database claims: `city` or `country`. */
  rule: string | null;
  /** Hostname claims: the token read (`dllstx`). */
  token: string | null;
  country: string | null;
  city: string | null;
  lat: number;
  lon: number;
  /** How far (km) from the point the router may be. */
  radiusKm: number;
  status: ClaimStatus;
  /** One sentence: why this status. */
  why: string;
  refutation?: ClaimRefutation;
}

/** One router address's placement: every claim, what became of it, and the constraints it was tested against. */
export interface AddressPlacement {
  source: PlacementSource;
  hostname: string | null;
  /** For `hostname` placements: the rule and token that read the place. */
  rule: string | null;
  token: string | null;
  /** One sentence: why this placement. */
  reason: string;
  claims: PlacementClaim[];
  /** The RTT discs it was tested against: how many, and the tightest (`within 310 km of the Seattle agent`). */
  constraints: { discs: number; tightestKm: number | null; tightestVantage: string | null };
}

export interface GeoLocation {
  /** ISO 3166-1 alpha-2, upper case; null when the database knows the point but not the country. */
  country: string | null;
  city: string | null;
  lat: number;
  lon: number;
  /** The database's accuracy radius in km, null when it gives none. */
  accuracyKm: number | null;
  precision: LocationPrecision;
  source: LocationSource;
  /** A label for the exact database (file name), so evidence can cite it. */
  database: string;
}

export interface AsnInfo {
  asn: number;
  org: string | null;
  database: string;
}

export interface AddressInfo {
  address: string;
  class: AddressClass;
  /** Null for special ranges (never looked up) and for addresses the database does not know. */
  location: GeoLocation | null;
  asn: AsnInfo | null;
}

export interface SourcePosition {
  lat: number;
  lon: number;
  /** `declared`: from --source-location or the agent's configured location; `city-db`: the source address looked up. */
  source: LocationSource;
}

/** A trace plus what is known about each of its addresses (each distinct address looked up once). */
export interface AnnotatedTrace {
  trace: Trace;
  addresses: Record<string, AddressInfo>;
  /** Where the prober is, which the physics measures from; null when unknown. */
  sourcePosition: SourcePosition | null;
  /**
   * Addresses whose place was weighed beyond the database (a reverse name, other vantages' RTTs, a correction):
   * every claim and the decision. `addresses[ip].location` then holds the chosen placement. Absent: the
   * database's answer alone.
   */
  placements?: Record<string, AddressPlacement>;
}
