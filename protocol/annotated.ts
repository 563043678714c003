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

/** Where a placement came from. */
export type LocationSource =
  /** A City database (embedded GeoLite2 or the user's own file); `database` names which. */
  | 'city-db'
  /** Given by the user or the agent (the prober's own position). */
  | 'declared';

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
}
