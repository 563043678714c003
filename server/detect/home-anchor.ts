import type { GeoLocation } from '../../protocol/annotated.ts';
import { greatCircleKm } from '../physics/great-circle.ts';
import { isLocationImpossible } from '../physics/rtt-bound.ts';
import type { HopClaim } from './hop-claims.ts';

/** A home hop whose location can be measured through: located, timed, and not contradicted by its own RTT. */
export type HomeAnchor = HopClaim & { location: GeoLocation; distanceKm: number; rttMs: number };

/**
 * Only home claims serve as anchors: a foreign location is the thing under test, and a home location that its
 * own RTT already contradicts is no better.
 */
export function isHomeAnchor(claim: HopClaim, kmPerMs: number): claim is HomeAnchor {
  return (
    claim.kind === 'home' &&
    claim.location !== null &&
    claim.distanceKm !== null &&
    claim.rttMs !== null &&
    !isLocationImpossible(claim.distanceKm, claim.radiusKm, claim.rttMs, kmPerMs)
  );
}

/** The shortest possible leg (km) between two located claims, each router anywhere within its radius. */
export function shortestLegKm(
  from: { location: GeoLocation; radiusKm: number },
  to: { location: GeoLocation; radiusKm: number },
): number {
  return Math.max(0, greatCircleKm(from.location, to.location) - from.radiusKm - to.radiusKm);
}
