import { greatCircleKm, type LatLon } from '../physics/great-circle.ts';
import { maxDistanceKm } from '../physics/rtt-bound.ts';
import type { Gazetteer } from './gazetteer.ts';
import type { Place } from './place.ts';

/** A vantage point with a known, trusted position: an agent, or this trace's prober. */
export interface Vantage extends LatLon {
  /** How evidence names it: "the prober", "the Seattle agent". */
  label: string;
  /** This trace's own prober (its refutations are the verdict's `own-rtt`). */
  isProber?: boolean;
}

/** What one vantage's lowest RTT to an address says: the router is within `radiusKm` of it. */
export interface Disc {
  vantage: Vantage;
  rttMs: number;
  radiusKm: number;
}

export function discFrom(vantage: Vantage, rttMs: number, kmPerMs: number): Disc {
  return { vantage, rttMs, radiusKm: maxDistanceKm(rttMs, kmPerMs) };
}

/**
 * Where a router can be: the intersection of its discs, one per vantage (the lowest RTT of each). Represented by
 * its discs; `tightest` is the smallest, the best summary of where it is.
 */
export interface FeasibleRegion {
  discs: Disc[];
  tightest: Disc | null;
}

/** Keeps each vantage's lowest RTT (a higher one from the same point says nothing more). */
export function feasibleRegion(discs: readonly Disc[]): FeasibleRegion {
  const byVantage = new Map<string, Disc>();
  for (const d of discs) {
    if (!(Number.isFinite(d.rttMs) && d.rttMs >= 0)) continue;
    const key = `${d.vantage.lat},${d.vantage.lon},${d.vantage.label}`;
    const seen = byVantage.get(key);
    if (seen === undefined || d.rttMs < seen.rttMs) byVantage.set(key, d);
  }
  const kept = [...byVantage.values()];
  let tightest: Disc | null = null;
  for (const d of kept) if (tightest === null || d.radiusKm < tightest.radiusKm) tightest = d;
  return { discs: kept, tightest };
}

/** The disc a point (with its own radius) lies farthest outside of, or null when every disc allows it. */
export interface Violation {
  disc: Disc;
  /** The distance the point needs from that vantage: great circle less the point's radius. */
  claimedKm: number;
}

export function violation(region: FeasibleRegion, point: LatLon, pointRadiusKm: number): Violation | null {
  let worst: Violation | null = null;
  let worstExcess = 0;
  for (const disc of region.discs) {
    const claimedKm = Math.max(0, greatCircleKm(disc.vantage, point) - pointRadiusKm);
    const excess = claimedKm - disc.radiusKm;
    if (excess > worstExcess) {
      worst = { disc, claimedKm };
      worstExcess = excess;
    }
  }
  return worst;
}

export function isFeasible(region: FeasibleRegion, point: LatLon, pointRadiusKm: number): boolean {
  return violation(region, point, pointRadiusKm) === null;
}

function ms(value: number): string {
  return `${Math.round(value * 10) / 10} ms`;
}

/** "within 310 km of the Seattle agent by its 3.1 ms; the claim is 1,660 km from it" */
export function describeViolation(v: Violation): string {
  const km = (x: number) => Math.round(x).toLocaleString('en-US');
  return (
    `within ${km(v.disc.radiusKm)} km of ${v.disc.vantage.label} by its ${ms(v.disc.rttMs)}; ` +
    `the claim is at least ${km(v.claimedKm)} km from it`
  );
}

/** The gazetteer's cities that every disc allows (the populated places the router can be in). */
export function feasiblePlaces(region: FeasibleRegion, gazetteer: Gazetteer): Place[] {
  const tightest = region.tightest;
  if (tightest === null) return [];
  return gazetteer
    .citiesWithin(tightest.vantage, tightest.radiusKm)
    .filter((place) => isFeasible(region, place, 0));
}

/**
 * Whether the whole region lies at home. Testing the region's shape against country borders would need
 * polygons; instead the gazetteer's 170,000 cities (every place of 1,000 people or more) sample it: the region
 * is at home when it holds at least one city and every city in it is at home. The limitation: a region that
 * reaches across a border only through unpopulated land (sea, desert) passes, which for a router (they sit
 * where people are) is the right answer. Regions wider than `maxRadiusKm` are not tested (too many cities,
 * and such a region says little).
 */
export interface HomeTest {
  atHome: boolean;
  /** How many feasible cities were checked. */
  places: number;
  /** One feasible city abroad, when there is one (why the region is not at home). */
  abroad: Place | null;
  feasible: Place[];
}

export const MAX_HOME_TEST_RADIUS_KM = 3000;

export function homeTest(
  region: FeasibleRegion,
  gazetteer: Gazetteer,
  home: ReadonlySet<string>,
): HomeTest | null {
  if (region.tightest === null || region.tightest.radiusKm > MAX_HOME_TEST_RADIUS_KM) return null;
  const feasible = feasiblePlaces(region, gazetteer);
  if (feasible.length === 0) return null;
  const abroad = feasible.find((p) => !home.has(p.country)) ?? null;
  return { atHome: abroad === null, places: feasible.length, abroad, feasible };
}

/**
 * One point to stand for a region known to be at home: the most notable feasible city, nearest the middle of all
 * feasible cities, with a radius reaching every feasible city.
 */
export function representativePlace(feasible: readonly Place[]): { place: Place; radiusKm: number } | null {
  if (feasible.length === 0) return null;
  let lat = 0;
  let x = 0;
  let y = 0;
  for (const p of feasible) {
    lat += p.lat;
    x += Math.cos((p.lon * Math.PI) / 180);
    y += Math.sin((p.lon * Math.PI) / 180);
  }
  const middle = { lat: lat / feasible.length, lon: (Math.atan2(y, x) * 180) / Math.PI };
  const top = Math.max(...feasible.map((p) => p.importance));
  let best: Place | null = null;
  for (const p of feasible) {
    if (p.importance !== top) continue;
    if (best === null || greatCircleKm(p, middle) < greatCircleKm(best, middle)) best = p;
  }
  if (best === null) return null;
  const chosen = best;
  const radiusKm = Math.max(...feasible.map((p) => greatCircleKm(chosen, p)));
  return { place: chosen, radiusKm };
}
