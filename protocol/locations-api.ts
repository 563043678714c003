import type { GeoLocation, LocationPrecision, PlacementClaim, PlacementSource } from './annotated.ts';
import type { LocationCorrectionItem } from './location-corrections.ts';

/**
 * What the network knows of where one router address is (issue 15, item 4), as `GET /api/v1/locations/{ip}`
 * (`?name=HOSTNAME` to read another name than the one stored) and `detourwatch locations show IP` give it:
 * every claim, each verified vantage's constraint, the feasible region, and the decision with its reason.
 * Times are ISO 8601.
 */
export const LOCATION_REPORT_PATH = '/api/v1/locations/:ip';

/** One verified agent's lowest RTT to the address: the router is within `radiusKm` of it. */
export interface LocationConstraintItem {
  agentId: string;
  agentName: string;
  /** How evidence names it: "the seattle-1 agent". */
  vantage: string;
  lat: number;
  lon: number;
  minRttMs: number;
  radiusKm: number;
  /** When the lowest RTT was measured. */
  at: string;
}

/** One place a hostname token may name. */
export interface HintPlaceItem {
  city: string;
  country: string;
  lat: number;
  lon: number;
}

/** What a rule read out of the hostname, before any RTT tested it (the claims say what became of it). */
export interface HostnameReadingItem {
  rule: string;
  token: string;
  places: HintPlaceItem[];
  /** Why a learned convention set it aside; null when it counts. */
  dropped: string | null;
}

/** Where the constraints leave room for the router. */
export interface FeasibleRegionItem {
  discs: number;
  tightestKm: number | null;
  tightestVantage: string | null;
  /** True when every feasible city is at home; null when not tested (no disc, too wide, or no city in it). */
  atHome: boolean | null;
  /** How many of the gazetteer's cities the region holds (null when not tested). */
  feasibleCities: number | null;
  /** A few of them, most notable first: "Seattle (US)". */
  examples: string[];
  /** One feasible city abroad, when there is one. */
  abroad: string | null;
}

export interface LocationDecisionItem {
  source: PlacementSource;
  /** The place the verdicts use; null when nothing places it. */
  location: {
    country: string | null;
    city: string | null;
    lat: number;
    lon: number;
    radiusKm: number | null;
    precision: LocationPrecision;
  } | null;
  reason: string;
  /** Every claim weighed, with its status (`chosen`, `consistent`, `refuted` with the RTT that refutes it ...). */
  claims: PlacementClaim[];
}

export interface LocationReport {
  ip: string;
  /** The reverse name read (stored from the traces, or the one asked with `?name=`); untrusted text. */
  hostname: string | null;
  asn: { asn: number; org: string | null } | null;
  /** The City database's answer; null when it has none (or the address is not a public one). */
  database: GeoLocation | null;
  hostnameReadings: HostnameReadingItem[];
  /** An operator's correction (issue 15, item 5); null when none. */
  correction: LocationCorrectionItem | null;
  constraints: LocationConstraintItem[];
  region: FeasibleRegionItem;
  decision: LocationDecisionItem;
  homeCountries: string[];
  kmPerMs: number;
}
