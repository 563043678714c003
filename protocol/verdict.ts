import type { LocationPrecision, PlacementSource } from './annotated.ts';
import type { PlausibilityProblem } from './plausibility.ts';

/** `implausible`: no real tool could have printed the trace (server/plausibility); kept, never judged. */
export const VERDICT_KINDS = [
  'domestic',
  'detour',
  'foreign-endpoint',
  'inconclusive',
  'implausible',
] as const;
export type VerdictKind = (typeof VERDICT_KINDS)[number];

export const CONFIDENCES = ['confirmed', 'probable'] as const;
export type Confidence = (typeof CONFIDENCES)[number];

/** A hop whose database location abroad survived the physics. */
export interface ForeignHop {
  ttl: number;
  ip: string;
  country: string;
  asn: number | null;
  org: string | null;
  city: string | null;
  lat: number;
  lon: number;
  precision: LocationPrecision;
  /** The lowest RTT this address answered with at this TTL. */
  rttMs: number | null;
  /**
   * The RTT the claimed location needs from the prober: (distance - accuracy radius) / km-per-ms.
   * Null when the prober's position is unknown (then nothing was tested and the verdict is inconclusive).
   */
  minRttMs: number | null;
  /** True when the RTTs agree with the claim (its own RTT and the inflated replies after it). */
  confirmed: boolean;
}

/** Why physics refuted a database claim. */
export type RefutationReason =
  /** The hop answered faster than light could reach the claimed place and come back. */
  | 'own-rtt'
  /** A later hop on a flow-stable path answered faster than a trip through the claimed place allows. */
  | 'later-reply'
  /** Another vantage point's RTT to the same router rules the place out (multi-vantage constraints). */
  | 'constraint';

/** "The database says CN, the RTT says no": kept and shown, never silently dropped. */
export interface RefutedHop {
  ttl: number;
  ip: string;
  claimedCountry: string | null;
  claimedCity: string | null;
  /** The RTT that refutes the claim (the hop's own, or the later reply's). */
  rttMs: number;
  /** The farthest the reply can have come from (km), given that RTT: rtt x km-per-ms. */
  maxKm: number;
  /**
   * The distance (km) the claim needs, compared with `maxKm`. `own-rtt`: from the prober to the claimed location,
   * less the accuracy radius. `later-reply`: half the shortest loop prober -> claimed location -> later hop ->
   * prober, each leg shortened by the accuracy radii.
   */
  claimedKm: number;
  reason: RefutationReason;
  /** For `later-reply`: the TTL of the reply that refuted it. */
  refutedByTtl?: number;
  /** For `constraint`: which vantage and RTT ("within 310 km of the Seattle agent by its 3.1 ms"). */
  evidence?: string;
}

/** Each TTL's reading, for the hop table. */
export const HOP_STATUSES = [
  'home',
  'foreign-confirmed',
  'foreign-probable',
  'refuted',
  'special',
  'unlocated',
  'no-reply',
] as const;
export type HopStatus = (typeof HOP_STATUSES)[number];

export interface HopReading {
  ttl: number;
  ip: string | null;
  status: HopStatus;
  /** The database's country; for `refuted`, the claim that physics threw out. */
  country: string | null;
  /** The lowest RTT of the shown address at this TTL. */
  rttMs: number | null;
  /** The RTT its database location needs from the prober; null when unlocated or the prober's position is unknown. */
  minRttMs: number | null;
  /** Reverse name the tool printed, if any. Untrusted text. */
  name: string | null;
  asn: number | null;
  org: string | null;
  city: string | null;
  /** The database's placement (for `refuted`, the refuted claim); null when unlocated. */
  lat: number | null;
  lon: number | null;
  precision: LocationPrecision | null;
  /** Which database placed it (file name), so the evidence can be cited. */
  database: string | null;
  /** Present when more than the database was weighed: which claim placed the hop, and what lost. */
  placement?: HopPlacement;
}

/** A claim that lost to the hop's placement, in the hop table's words. */
export interface RejectedClaim {
  source: PlacementSource;
  rule: string | null;
  token: string | null;
  country: string | null;
  city: string | null;
  why: string;
}

/** Which claim placed a hop: the source, and for hostname placements the name and the rule that read it. */
export interface HopPlacement {
  source: PlacementSource;
  hostname: string | null;
  rule: string | null;
  token: string | null;
  reason: string;
  rejected: RejectedClaim[];
}

/** One geolocation database a verdict was judged with: its role, its file (or package) and its build date. */
export interface GeoDatabaseBuild {
  role: 'city' | 'asn';
  name: string;
  /** ISO date (YYYY-MM-DD) of the build, null when the database carries none (the embedded ASN table). */
  builtAt: string | null;
}

export interface EndpointVerdict {
  ip: string | null;
  country: string | null;
}

export interface Verdict {
  verdict: VerdictKind;
  /** Null unless `detour`. */
  confidence: Confidence | null;
  /** The first home country (the one named by `--home-country`), kept for readers of one code. */
  homeCountry: string;
  /**
   * Every country that counts as home (the United States brings PR, GU, VI, AS, MP and UM). Absent on verdicts
   * stored before home became a set: then home is `homeCountry` alone.
   */
  homeCountries?: string[];
  source: EndpointVerdict;
  destination: EndpointVerdict;
  /** Distinct countries in path order, home included (refuted claims excluded). */
  countries: string[];
  /** ASNs of the foreign hops in path order, distinct. */
  foreignAsns: number[];
  foreignHops: ForeignHop[];
  refutedHops: RefutedHop[];
  /** Extra great-circle distance (km) of going through the foreign hops versus straight to the destination. */
  extraKm: number | null;
  /** One sentence a person can read: why this verdict. */
  reason: string;
  hops: HopReading[];
  /** Why the trace cannot be true: present on `implausible` verdicts only. */
  problems?: PlausibilityProblem[];
  /**
   * The database builds every address of this trace was looked up in (one snapshot per trace, however the
   * databases are swapped meanwhile). Absent on verdicts judged before databases could be swapped.
   */
  geoDatabases?: GeoDatabaseBuild[];
}
