import { claimedDistanceKm, maxDistanceKm } from '../physics/rtt-bound.ts';
import { type HomeAnchor, isHomeAnchor, shortestLegKm } from './home-anchor.ts';
import type { HopClaim, HopClaims } from './hop-claims.ts';

/**
 * CONFIRMED: the RTTs agree with the foreign claim. An RTT can never prove distance (a slow ICMP reply inflates
 * it), so agreement is asked of the whole rest of the path: the claim's own RTT reaches its nearest possible
 * point, and EVERY later home anchor (a located, self-consistent home hop, the destination included) answered
 * at least as slowly as a path out through the claim and on to that anchor needs when the reply retraces it:
 *   rtt_j x km-per-ms >= (d(prober, k) - r_k) + (d(k, j) - r_k - r_j)
 * (LA -> Hangzhou -> DC: at least about 227 ms at DC, against about 37 ms direct). At least one anchor must
 * exist. This asks more than refutation does (which assumes nothing about the return path): a reply between
 * the two bounds neither refutes nor confirms, and the claim stays PROBABLE.
 * Like later-reply refutation this needs a flow-stable trace and a single address at TTL k, or the later
 * probes need not have crossed the claimed router at all.
 * Agreement only proves something when a domestic path could not have produced the same RTTs: a "Toronto" hop
 * on a New York -> Chicago path adds ~100 km, well inside ordinary routing inflation. So at least one anchor
 * must be one where going through the claim at least doubles the distance and adds DISCRIMINATING_KM.
 */
const DISCRIMINATING_KM = 1000;

/** Whether RTTs consistent with a trip through the claim could not also come from a direct path to the anchor. */
function discriminates(throughClaimKm: number, anchor: HomeAnchor): boolean {
  const directKm = anchor.distanceKm + anchor.radiusKm;
  return throughClaimKm - directKm >= Math.max(DISCRIMINATING_KM, directKm);
}
export function isConfirmed(
  hops: readonly HopClaims[],
  index: number,
  claim: HopClaim,
  kmPerMs: number,
  flowStable: boolean,
): boolean {
  const at = hops[index];
  if (!flowStable || at?.claims.length !== 1) return false;
  if (
    claim.kind !== 'foreign' ||
    claim.location === null ||
    claim.distanceKm === null ||
    claim.rttMs === null
  ) {
    return false;
  }
  const out = claimedDistanceKm(claim.distanceKm, claim.radiusKm);
  if (maxDistanceKm(claim.rttMs, kmPerMs) < out) return false;
  const located = { location: claim.location, radiusKm: claim.radiusKm };
  let discriminating = false;
  for (let j = index + 1; j < hops.length; j++) {
    const later = hops[j];
    if (!later || later.ttl <= claim.ttl) continue;
    for (const reply of later.claims) {
      if (!isHomeAnchor(reply, kmPerMs)) continue;
      const throughClaimKm = out + shortestLegKm(located, reply);
      if (maxDistanceKm(reply.rttMs, kmPerMs) < throughClaimKm) return false;
      if (discriminates(throughClaimKm, reply)) discriminating = true;
    }
  }
  return discriminating;
}
