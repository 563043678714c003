/**
 * The speed-of-light bound. Light in fibre covers about 200 km per ms one way, so a reply with round-trip time
 * R ms was sent from at most R x 100 km away (path length, which is never shorter than the great circle).
 * Real paths are slower (queues, detours, slow ICMP generation), so every bound here only ever limits distance
 * from above: an RTT can prove "not farther than", never "farther than".
 */
export const DEFAULT_KM_PER_MS = 100;

/** The farthest (km) a reply with this round-trip time can have come from. */
export function maxDistanceKm(rttMs: number, kmPerMs: number = DEFAULT_KM_PER_MS): number {
  return rttMs * kmPerMs;
}

/** The smallest round-trip time (ms) a reply from this far away can have. */
export function minRttForDistance(km: number, kmPerMs: number = DEFAULT_KM_PER_MS): number {
  return km / kmPerMs;
}

/**
 * The distance (km) a located claim needs at least: its distance from the prober less the database's
 * accuracy radius, since the router may sit anywhere inside that radius.
 */
export function claimedDistanceKm(distanceKm: number, accuracyKm: number): number {
  return Math.max(0, distanceKm - accuracyKm);
}

/** A database location is IMPOSSIBLE when even its nearest possible point lies beyond what the RTT allows. */
export function isLocationImpossible(
  distanceKm: number,
  accuracyKm: number,
  rttMs: number,
  kmPerMs: number = DEFAULT_KM_PER_MS,
): boolean {
  return claimedDistanceKm(distanceKm, accuracyKm) > maxDistanceKm(rttMs, kmPerMs);
}
