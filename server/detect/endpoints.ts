import type { AnnotatedTrace, GeoLocation } from '../../protocol/annotated.ts';
import type { Trace } from '../../protocol/trace.ts';
import { greatCircleKm, type LatLon } from '../physics/great-circle.ts';
import { claimRadiusKm } from './claim-radius.ts';
import type { Home } from './home-countries.ts';
import type { Refutation } from './refutation.ts';

/** What is known about one end of the path. */
export interface EndpointFinding {
  ip: string | null;
  country: string | null;
  /** Where the endpoint is, for distance sums; null when unknown. */
  position: LatLon | null;
  /** Why `country` is null, for an inconclusive verdict's reason. */
  unknownBecause: string | null;
}

function lookedUp(annotated: AnnotatedTrace, ip: string | null): GeoLocation | null {
  if (ip === null) return null;
  const info = annotated.addresses[ip];
  return info?.class === 'global' && info.location?.country ? info.location : null;
}

function whyUnplaced(annotated: AnnotatedTrace, ip: string | null, role: string): string {
  if (ip === null) return `the trace names no ${role} address`;
  const info = annotated.addresses[ip];
  if (info && info.class !== 'global')
    return `the ${role} address ${ip} is ${info.class} space, which has no country`;
  return `the database does not place the ${role} address ${ip} in a country`;
}

/**
 * The source's country. A DECLARED position (the agent's configured location, or --source-location) is the
 * operator's statement of where the prober runs, and counts as home: a database misplacing the prober's own
 * address must not turn every trace from it into a foreign-endpoint. The one exception is a database answer
 * abroad that agrees with the declared point (within its radius): then the declared point simply is abroad.
 * Without a declared position the source address's database country decides (null: unknown).
 */
export function sourceFinding(annotated: AnnotatedTrace, home: Home): EndpointFinding {
  const { address, publicAddress } = annotated.trace.source;
  // Behind NAT (RIPE Atlas `src_addr` private, `from` public) the public address is the one that can be placed.
  const own = lookedUp(annotated, address);
  const ip = own === null && publicAddress !== undefined ? publicAddress : address;
  const location = own ?? lookedUp(annotated, ip);
  const country = location?.country?.toUpperCase() ?? null;
  const position = annotated.sourcePosition;
  if (position?.source === 'declared') {
    // A database answer inside the home set (San Juan for a prober declared in Puerto Rico) names the country.
    const atHome = country !== null && home.countries.has(country);
    const agreesAbroad =
      location !== null &&
      country !== null &&
      !atHome &&
      greatCircleKm(position, location) <= claimRadiusKm(location);
    return {
      ip,
      country: atHome || agreesAbroad ? country : home.primary,
      position,
      unknownBecause: null,
    };
  }
  return {
    ip,
    country,
    position: position ?? location,
    unknownBecause:
      country === null ? `${whyUnplaced(annotated, ip, 'source')} and no position was declared` : null,
  };
}

/** Replies that only the destination itself sends: echo replies and port unreachable. */
function destinationReplyAddress(trace: Trace): string | null {
  for (let i = trace.hops.length - 1; i >= 0; i--) {
    const replies = trace.hops[i]?.replies ?? [];
    if (!replies.some((r) => r.address !== null)) continue;
    const own = replies.find(
      (r) => r.address !== null && (r.icmpType === 0 || r.icmpType === 129 || r.flag === 'port-unreachable'),
    );
    return own?.address ?? null;
  }
  return null;
}

/**
 * The destination's country: its address's database location, unless physics refuted that location (a foreign
 * carrier's US point of presence as the target), in which case the country is unknown.
 */
export function destinationFinding(
  annotated: AnnotatedTrace,
  home: Home,
  refuted: ReadonlyMap<string, Refutation>,
): EndpointFinding {
  const ip = annotated.trace.destination.address ?? destinationReplyAddress(annotated.trace);
  const location = lookedUp(annotated, ip);
  if (location === null) {
    return { ip, country: null, position: null, unknownBecause: whyUnplaced(annotated, ip, 'destination') };
  }
  const country = (location.country ?? '').toUpperCase();
  const refutation = ip !== null && !home.countries.has(country) ? refuted.get(ip) : undefined;
  if (refutation) {
    return {
      ip,
      country: null,
      position: null,
      unknownBecause: `the database places the destination ${ip} in ${country} but its ${refutation.rttMs} ms RTT refutes that`,
    };
  }
  return { ip, country, position: location, unknownBecause: null };
}
