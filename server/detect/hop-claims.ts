import type { AddressInfo, AnnotatedTrace, GeoLocation } from '../../protocol/annotated.ts';
import type { Hop } from '../../protocol/trace.ts';
import { greatCircleKm } from '../physics/great-circle.ts';
import { claimRadiusKm } from './claim-radius.ts';

/**
 * What the databases say about one responding address: `special` ranges are never looked up and so never
 * abroad; `unlocated` addresses have no country; `home` and `foreign` carry a located claim.
 */
export type ClaimKind = 'special' | 'unlocated' | 'home' | 'foreign';

/** One responder's best reply at one TTL, with the database's claim about it. */
export interface HopClaim {
  ttl: number;
  /** Null when the tool printed only a name (tracepath, mtr without -n): answered, but cannot be located. */
  ip: string | null;
  name: string | null;
  /** The lowest RTT this address answered with at this TTL (the least queued reply); null when none. */
  rttMs: number | null;
  kind: ClaimKind;
  info: AddressInfo | null;
  /** Set for `home` and `foreign` (then its country is set too). */
  location: GeoLocation | null;
  /** How far (km) from `location` the router may really be. */
  radiusKm: number;
  /** Great-circle km from the prober to `location`; null without a source position or a location. */
  distanceKm: number | null;
}

/** Every responding address at one TTL; `claims` is empty when nothing answered. */
export interface HopClaims {
  ttl: number;
  claims: HopClaim[];
}

function usableRtt(rtt: number | null): number | null {
  // A negative or non-finite RTT would "refute" anything; it is a tool or parser fault, not a measurement.
  return rtt !== null && Number.isFinite(rtt) && rtt >= 0 ? rtt : null;
}

function classify(info: AddressInfo | null, home: ReadonlySet<string>): ClaimKind {
  if (info === null) return 'unlocated';
  if (info.class !== 'global') return 'special';
  const country = info.location?.country;
  if (!country) return 'unlocated';
  return home.has(country.toUpperCase()) ? 'home' : 'foreign';
}

function claimsAt(hop: Hop, annotated: AnnotatedTrace, home: ReadonlySet<string>): HopClaim[] {
  const claims: HopClaim[] = [];
  const position = annotated.sourcePosition;
  for (const reply of hop.replies) {
    const ip = reply.address;
    const name = reply.name ?? null;
    // A star: nothing answered. A name without an address still answered, and its RTT still bounds distance.
    if (ip === null && name === null) continue;
    const rtt = usableRtt(reply.rttMs);
    const seen = claims.find((c) => (ip === null ? c.ip === null && c.name === name : c.ip === ip));
    if (seen) {
      if (rtt !== null && (seen.rttMs === null || rtt < seen.rttMs)) seen.rttMs = rtt;
      continue;
    }
    const info = ip === null ? null : (annotated.addresses[ip] ?? null);
    const kind = classify(info, home);
    const location = kind === 'home' || kind === 'foreign' ? (info?.location ?? null) : null;
    claims.push({
      ttl: hop.ttl,
      ip,
      name,
      rttMs: rtt,
      kind,
      info,
      location,
      radiusKm: location ? claimRadiusKm(location) : 0,
      distanceKm: location && position ? greatCircleKm(position, location) : null,
    });
  }
  return claims;
}

/**
 * Groups a trace's replies into per-TTL claims, TTLs ascending, one claim per distinct address. `home`: one
 * country code, or the set of home countries.
 */
export function collectHopClaims(annotated: AnnotatedTrace, home: string | ReadonlySet<string>): HopClaims[] {
  const homeSet = typeof home === 'string' ? new Set([home]) : home;
  const hops = annotated.trace.hops;
  let ordered = true;
  for (let i = 1; i < hops.length; i++) {
    if ((hops[i]?.ttl ?? 0) < (hops[i - 1]?.ttl ?? 0)) ordered = false;
  }
  const inOrder = ordered ? hops : [...hops].sort((a, b) => a.ttl - b.ttl);
  return inOrder.map((hop) => ({ ttl: hop.ttl, claims: claimsAt(hop, annotated, homeSet) }));
}
