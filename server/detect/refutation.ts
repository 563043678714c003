import type { RefutationReason } from '../../protocol/verdict.ts';
import { claimedDistanceKm, maxDistanceKm } from '../physics/rtt-bound.ts';
import { isHomeAnchor, shortestLegKm } from './home-anchor.ts';
import type { HopClaim, HopClaims } from './hop-claims.ts';

/** Why one address's foreign location is impossible, in the units of the hop table. */
export interface Refutation {
  reason: RefutationReason;
  /** The RTT that refutes the claim. */
  rttMs: number;
  /** How far (km) that RTT lets the reply travel one way: rtt x km-per-ms. */
  maxKm: number;
  /** How far (km) the claim needs at least (own-rtt: prober to claim; later-reply: half the shortest loop). */
  claimedKm: number;
  refutedByTtl?: number;
}

type Located = HopClaim & { location: NonNullable<HopClaim['location']>; distanceKm: number };

function isLocatedForeign(claim: HopClaim): claim is Located {
  return claim.kind === 'foreign' && claim.location !== null && claim.distanceKm !== null;
}

/** The claim's own reply came back faster than light could reach its nearest possible point and return. */
export function refuteByOwnRtt(claim: HopClaim, kmPerMs: number): Refutation | null {
  if (!isLocatedForeign(claim) || claim.rttMs === null) return null;
  const claimedKm = claimedDistanceKm(claim.distanceKm, claim.radiusKm);
  const maxKm = maxDistanceKm(claim.rttMs, kmPerMs);
  return claimedKm > maxKm ? { reason: 'own-rtt', rttMs: claim.rttMs, maxKm, claimedKm } : null;
}

/**
 * A later reply on a flow-stable trace: the probe that reached TTL j went through the router at TTL k, then
 * the reply came back by any path. Its RTT covers at least prober -> k -> j -> prober. Each leg is bounded
 * below soundly, without assuming a symmetric return:
 *   out  = d(prober, k) - r_k
 *   rest = d(k, j) + d(j, prober) >= max(out (triangle inequality), leg(k, j) + d(prober, j) - r_j when j is a
 *          home anchor, else nothing more)
 * and the claim is refuted when rtt_j x km-per-ms < (out + rest) / 2 (km-per-ms is per round-trip ms).
 * Only TTLs where a single address answered qualify: with several, the later probe may have crossed another.
 */
export function refuteByLaterReply(
  hops: readonly HopClaims[],
  index: number,
  claim: HopClaim,
  kmPerMs: number,
): Refutation | null {
  const at = hops[index];
  if (at?.claims.length !== 1 || !isLocatedForeign(claim)) return null;
  const out = claimedDistanceKm(claim.distanceKm, claim.radiusKm);
  for (let j = index + 1; j < hops.length; j++) {
    const later = hops[j];
    if (!later || later.ttl <= claim.ttl) continue;
    for (const reply of later.claims) {
      if (reply.rttMs === null) continue;
      let rest = out;
      if (isHomeAnchor(reply, kmPerMs)) {
        const viaAnchor = shortestLegKm(claim, reply) + claimedDistanceKm(reply.distanceKm, reply.radiusKm);
        if (viaAnchor > rest) rest = viaAnchor;
      }
      const claimedKm = (out + rest) / 2;
      const maxKm = maxDistanceKm(reply.rttMs, kmPerMs);
      if (claimedKm > maxKm) {
        return { reason: 'later-reply', rttMs: reply.rttMs, maxKm, claimedKm, refutedByTtl: later.ttl };
      }
    }
  }
  return null;
}

/**
 * Refutations per address: a router has one location, so one impossible observation refutes its claim at every
 * TTL it appears. Own-RTT evidence is preferred (the simplest to read). Later-reply refutation runs only on
 * flow-stable traces; on classic traceroute or mtr traces only the own RTT can refute.
 */
export function refuteClaims(
  hops: readonly HopClaims[],
  kmPerMs: number,
  flowStable: boolean,
): Map<string, Refutation> {
  const refuted = new Map<string, Refutation>();
  for (const hop of hops) {
    for (const claim of hop.claims) {
      if (claim.ip === null || refuted.has(claim.ip)) continue;
      const found = refuteByOwnRtt(claim, kmPerMs);
      if (found) refuted.set(claim.ip, found);
    }
  }
  if (!flowStable) return refuted;
  for (let k = 0; k < hops.length; k++) {
    for (const claim of hops[k]?.claims ?? []) {
      if (claim.ip === null || refuted.has(claim.ip)) continue;
      const found = refuteByLaterReply(hops, k, claim, kmPerMs);
      if (found) refuted.set(claim.ip, found);
    }
  }
  return refuted;
}
