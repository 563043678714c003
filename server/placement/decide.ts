import type {
  AddressPlacement,
  ClaimRefutation,
  GeoLocation,
  PlacementClaim,
} from '../../protocol/annotated.ts';
import { claimRadiusKm } from '../detect/claim-radius.ts';
import { greatCircleKm, type LatLon } from '../physics/great-circle.ts';
import {
  describeViolation,
  type FeasibleRegion,
  homeTest,
  isFeasible,
  representativePlace,
  type Violation,
  violation,
} from './constraints.ts';
import type { Gazetteer } from './gazetteer.ts';
import type { HintReading } from './hint.ts';
import { HINT_RADIUS_KM, type Place, SAME_METRO_KM } from './place.ts';
import { type HostnameHints, isStrongReading, RULE_RANK } from './read-hints.ts';

/** An operator's statement of where a router is. */
export interface OperatorCorrection extends LatLon {
  country: string;
  city: string | null;
  note: string;
  /** How exact the operator claims to be; default 10 km. */
  radiusKm?: number;
}

/** Everything known about one router address, for choosing its place. */
export interface PlacementEvidence {
  address: string;
  hostname: string | null;
  /** The hostname's readings; null without a usable name. */
  hints: HostnameHints | null;
  database: GeoLocation | null;
  correction: OperatorCorrection | null;
  /** Every vantage's lowest RTT to the address, this trace's prober included. */
  region: FeasibleRegion;
}

export interface PlacementDecision {
  /** The location the verdict uses (the database's when nothing better survived). */
  location: GeoLocation | null;
  placement: AddressPlacement;
}

/** How exact an operator's correction is taken to be (a city block of data centres), unless it says. */
export const CORRECTION_RADIUS_KM = 10;
/** A region whose feasible cities all lie this close to the representative is a city-level answer. */
const CONSTRAINT_CITY_KM = 300;

function placeName(p: { city: string | null; country: string | null }): string {
  return p.city ? `${p.city} (${p.country ?? '?'})` : (p.country ?? 'an unknown place');
}

function refutationOf(v: Violation): ClaimRefutation {
  return {
    vantage: v.disc.vantage.label,
    byProber: v.disc.vantage.isProber === true,
    rttMs: v.disc.rttMs,
    maxKm: v.disc.radiusKm,
    claimedKm: v.claimedKm,
  };
}

/** Which dictionary each hostname claim's place came from, for the placement's citation. */
const dictionaryOf = new WeakMap<PlacementClaim, string>();

function fromPlace(
  place: Place,
  rest: Pick<PlacementClaim, 'source' | 'rule' | 'token' | 'status' | 'why'>,
): PlacementClaim {
  const claim: PlacementClaim = {
    ...rest,
    country: place.country,
    city: place.name,
    lat: place.lat,
    lon: place.lon,
    radiusKm: HINT_RADIUS_KM,
  };
  dictionaryOf.set(claim, place.dictionary);
  return claim;
}

/** Narrows a reading's feasible namesakes with the name's other labels, then keeps the most notable ones. */
function choosePlace(
  feasible: readonly Place[],
  hints: HostnameHints,
): { place: Place } | { ambiguous: Place[] } {
  let pool = feasible;
  const inLabelledCountry = pool.filter((p) => hints.context.countries.has(p.country));
  if (inLabelledCountry.length > 0) pool = inLabelledCountry;
  const inLabelledState = pool.filter(
    (p) => p.country === 'US' && p.region !== null && hints.context.usStates.has(p.region),
  );
  if (inLabelledState.length > 0) pool = inLabelledState;
  const top = Math.max(...pool.map((p) => p.importance));
  const best = pool.filter((p) => p.importance === top);
  const first = best[0] as Place;
  const far = best.filter((p) => greatCircleKm(p, first) > SAME_METRO_KM);
  return far.length === 0 ? { place: first } : { ambiguous: [first, ...far] };
}

function hostnameClaim(
  reading: HintReading,
  hints: HostnameHints,
  region: FeasibleRegion,
  database: GeoLocation | null,
  home: ReadonlySet<string>,
): PlacementClaim {
  const base = { source: 'hostname' as const, rule: reading.rule, token: reading.token };
  const first = reading.places[0] as Place;
  const named = `"${reading.token}" (${reading.rule})`;
  if (region.discs.length === 0) {
    return fromPlace(first, {
      ...base,
      status: 'untested',
      why: `${named} reads as ${placeName({ city: first.name, country: first.country })}, but no RTT from a known position can test it`,
    });
  }
  const feasible = reading.places.filter((p) => isFeasible(region, p, HINT_RADIUS_KM));
  if (feasible.length === 0) {
    const v = violation(region, first, HINT_RADIUS_KM) as Violation;
    const namesakes = reading.places.length > 1 ? ` and its ${reading.places.length - 1} namesakes` : '';
    const claim = fromPlace(first, {
      ...base,
      status: 'refuted',
      why: `${named} reads as ${placeName({ city: first.name, country: first.country })}${namesakes}, but the router is ${describeViolation(v)}`,
    });
    claim.refutation = refutationOf(v);
    return claim;
  }
  const chosen = choosePlace(feasible, hints);
  if ('ambiguous' in chosen) {
    const places = chosen.ambiguous.map((p) => placeName({ city: p.name, country: p.country }));
    return fromPlace(chosen.ambiguous[0] as Place, {
      ...base,
      status: 'ambiguous',
      why: `${named} names ${chosen.ambiguous.length} places the RTTs allow, too far apart to choose: ${places.slice(0, 3).join(', ')}`,
    });
  }
  const { place } = chosen;
  const where = placeName({ city: place.name, country: place.country });
  const databaseHome = database === null || (database.country !== null && home.has(database.country));
  if (!home.has(place.country) && databaseHome && !isStrongReading(hints, reading, place.country)) {
    return fromPlace(place, {
      ...base,
      status: 'not-trusted',
      why: `${named} could be ${where} and the RTTs allow it, but a bare 3-letter code does not move a hop abroad without a learned convention or a matching country label`,
    });
  }
  return fromPlace(place, {
    ...base,
    status: 'consistent',
    why: `${named} reads as ${where} (${place.dictionary}), which every RTT allows`,
  });
}

/** Among the hostname claims the RTTs allow, the best rule wins; two of its rank far apart cancel out. */
function settleHostname(claims: PlacementClaim[]): PlacementClaim | null {
  const usable = claims.filter((c) => c.status === 'consistent');
  if (usable.length === 0) return null;
  const rank = (c: PlacementClaim) => RULE_RANK[c.rule as keyof typeof RULE_RANK] ?? 0;
  usable.sort((a, b) => rank(b) - rank(a));
  const best = usable[0] as PlacementClaim;
  const rivals = usable.filter((c) => rank(c) === rank(best) && greatCircleKm(c, best) > SAME_METRO_KM);
  if (rivals.length === 0) return best;
  for (const c of [best, ...rivals]) {
    c.status = 'ambiguous';
    c.why = `the name reads as both ${placeName(best)} and ${placeName(rivals[0] as PlacementClaim)}, both allowed by the RTTs`;
  }
  return null;
}

function databaseClaim(location: GeoLocation, region: FeasibleRegion): PlacementClaim {
  const radiusKm = claimRadiusKm(location);
  const claim: PlacementClaim = {
    source: 'database',
    rule: location.precision,
    token: null,
    country: location.country,
    city: location.city,
    lat: location.lat,
    lon: location.lon,
    radiusKm,
    status: 'consistent',
    why: `${location.database} says ${placeName(location)}${location.precision === 'country' ? ' (country level)' : ''}`,
  };
  if (region.discs.length === 0) return { ...claim, status: 'untested' };
  const v = violation(region, location, radiusKm);
  if (v === null) return claim;
  return {
    ...claim,
    status: 'refuted',
    why: `${claim.why}, but the router is ${describeViolation(v)}`,
    refutation: refutationOf(v),
  };
}

function correctionClaim(correction: OperatorCorrection, region: FeasibleRegion): PlacementClaim {
  const radiusKm = correction.radiusKm ?? CORRECTION_RADIUS_KM;
  const claim: PlacementClaim = {
    source: 'operator',
    rule: null,
    token: null,
    country: correction.country,
    city: correction.city,
    lat: correction.lat,
    lon: correction.lon,
    radiusKm,
    status: 'consistent',
    why: `an operator's correction: ${correction.note}`,
  };
  const v = violation(region, correction, radiusKm);
  if (v === null) return claim;
  return {
    ...claim,
    status: 'refuted',
    why: `${claim.why}; but the router is ${describeViolation(v)}`,
    refutation: refutationOf(v),
  };
}

function locationOf(claim: PlacementClaim, database: string, precise: boolean): GeoLocation {
  return {
    country: claim.country,
    city: claim.city,
    lat: claim.lat,
    lon: claim.lon,
    accuracyKm: claim.radiusKm,
    precision: precise ? 'city' : 'country',
    source:
      claim.source === 'operator' ? 'operator' : claim.source === 'hostname' ? 'hostname' : 'constraint',
    database,
  };
}

function summary(region: FeasibleRegion): AddressPlacement['constraints'] {
  return {
    discs: region.discs.length,
    tightestKm: region.tightest?.radiusKm ?? null,
    tightestVantage: region.tightest?.vantage.label ?? null,
  };
}

/**
 * One place per router address, from its claims best first: an operator's correction, a hostname reading,
 * the database's city, the constraints alone (when other vantages' RTTs leave room only at home), the
 * database's country. Each claim is tested against every RTT disc; the first that survives wins. When none
 * does, the database's claim stays and the verdict's own physics judges it as before.
 */
export function decidePlacement(
  evidence: PlacementEvidence,
  gazetteer: () => Gazetteer,
  home: ReadonlySet<string>,
): PlacementDecision {
  const { region, database } = evidence;
  const claims: PlacementClaim[] = [];
  const correction = evidence.correction ? correctionClaim(evidence.correction, region) : null;
  if (correction) claims.push(correction);
  const hostnameClaims =
    evidence.hints === null
      ? []
      : evidence.hints.readings.map((r) =>
          hostnameClaim(r, evidence.hints as HostnameHints, region, database, home),
        );
  claims.push(...hostnameClaims);
  const hint = settleHostname(hostnameClaims);
  const db = database ? databaseClaim(database, region) : null;
  if (db) claims.push(db);

  let chosen: PlacementClaim | null = null;
  let location: GeoLocation | null = database;
  let reason: string;
  if (correction?.status === 'consistent') {
    chosen = correction;
    location = locationOf(correction, 'operator correction', true);
    reason = `${correction.why}, which every RTT allows`;
  } else if (hint) {
    chosen = hint;
    location = locationOf(hint, dictionaryOf.get(hint) ?? 'hostname dictionaries', true);
    reason = `placed by its name ${evidence.hostname}: ${hint.why}`;
    if (db && db.country !== hint.country) reason += `; the database said ${placeName(db)}`;
  } else if (db?.status === 'consistent' && db.rule === 'city') {
    chosen = db;
    reason = `the database's city, which every RTT allows`;
  } else {
    const byConstraint = constraintClaim(evidence, gazetteer, home);
    if (byConstraint) {
      claims.push(byConstraint.claim);
      chosen = byConstraint.claim;
      location = byConstraint.location;
      reason = byConstraint.claim.why;
    } else if (db?.status === 'consistent') {
      chosen = db;
      reason = `the database's country-level answer, which every RTT allows`;
    } else {
      reason =
        region.discs.length === 0
          ? "no RTT from a known position tests any claim: the database's answer stays"
          : db
            ? "no better claim survived the RTTs: the database's answer stays for the verdict to judge"
            : 'no claim places it';
    }
  }
  if (chosen) chosen.status = 'chosen';
  const source = chosen?.source ?? 'database';
  return {
    location,
    placement: {
      source,
      hostname: evidence.hostname,
      rule: source === 'hostname' ? (chosen?.rule ?? null) : null,
      token: source === 'hostname' ? (chosen?.token ?? null) : null,
      reason,
      claims,
      constraints: summary(region),
    },
  };
}

/** Home by constraint: only when another vantage than this trace's prober measured the router. */
function constraintClaim(
  evidence: PlacementEvidence,
  gazetteer: () => Gazetteer,
  home: ReadonlySet<string>,
): { claim: PlacementClaim; location: GeoLocation } | null {
  const { region } = evidence;
  if (!region.discs.some((d) => d.vantage.isProber !== true)) return null;
  const test = homeTest(region, gazetteer(), home);
  if (test === null || !test.atHome) return null;
  const rep = representativePlace(test.feasible);
  if (rep === null) return null;
  const tightest = region.tightest;
  const radiusKm = Math.max(HINT_RADIUS_KM, rep.radiusKm);
  const claim: PlacementClaim = {
    source: 'constraint',
    rule: null,
    token: null,
    country: rep.place.country,
    city: rep.place.name,
    lat: rep.place.lat,
    lon: rep.place.lon,
    radiusKm,
    status: 'consistent',
    why:
      `placed by constraints: ${region.discs.length} vantage points' RTTs (the tightest within ` +
      `${Math.round(tightest?.radiusKm ?? 0)} km of ${tightest?.vantage.label}) leave room only at home: ` +
      `all ${test.places} feasible cities are in ${[...new Set(test.feasible.map((p) => p.country))].join(', ')}; ` +
      `nearest notable one ${rep.place.name}`,
  };
  const location = locationOf(
    claim,
    `RTT constraints from ${region.discs.length} vantage points`,
    radiusKm <= CONSTRAINT_CITY_KM,
  );
  return { claim, location };
}
