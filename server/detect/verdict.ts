import type { AnnotatedTrace } from '../../protocol/annotated.ts';
import { DetourwatchError } from '../../protocol/errors.ts';
import type {
  Confidence,
  ForeignHop,
  HopReading,
  HopStatus,
  RefutedHop,
  Verdict,
  VerdictKind,
} from '../../protocol/verdict.ts';
import { greatCircleKm, type LatLon } from '../physics/great-circle.ts';
import { claimedDistanceKm, minRttForDistance } from '../physics/rtt-bound.ts';
import { isConfirmed } from './confirmation.ts';
import { destinationFinding, sourceFinding } from './endpoints.ts';
import { isFlowStable } from './flow-stability.ts';
import { type Home, homeFrom } from './home-countries.ts';
import { collectHopClaims, type HopClaim, type HopClaims } from './hop-claims.ts';
import { hopPlacement, placementRefutations } from './placement-reading.ts';
import { type Refutation, refuteClaims } from './refutation.ts';
import { detourReason, domesticReason, placementNote } from './verdict-reason.ts';

export interface VerdictOptions {
  /** ISO 3166-1 alpha-2 of the country whose domestic paths are watched (US by default upstream). */
  homeCountry: string;
  /**
   * Every home country, `homeCountry` first; each brings its territories (US: PR, GU, VI, AS, MP, UM).
   * Default: `homeCountry` (which may also be a comma list) with its territories.
   */
  homeCountries?: readonly string[];
  /** Distance per RTT-ms (100: light in fibre, 200 km per ms one way). */
  kmPerMs: number;
}

const NO_REFUTATIONS: ReadonlyMap<string, Refutation> = new Map();

/** When one TTL has several responders, the hop table shows the most telling one. */
const STATUS_RANK: Record<HopStatus, number> = {
  'foreign-confirmed': 6,
  'foreign-probable': 5,
  refuted: 4,
  home: 3,
  unlocated: 2,
  special: 1,
  'no-reply': 0,
};

function checkedOptions(options: VerdictOptions): { home: Home; kmPerMs: number } {
  const home = homeFrom(
    options.homeCountries !== undefined && options.homeCountries.length > 0
      ? options.homeCountries
      : options.homeCountry,
  );
  if (!(Number.isFinite(options.kmPerMs) && options.kmPerMs > 0)) {
    throw new DetourwatchError(
      'CONFIG_INVALID',
      `km per RTT-ms must be a positive number (100 is light in fibre), got ${String(options.kmPerMs)}`,
    );
  }
  return { home, kmPerMs: options.kmPerMs };
}

/** Everything the walk over the hops learns, before the verdict is chosen. */
interface PathFindings {
  hops: HopReading[];
  foreignHops: ForeignHop[];
  refutedHops: RefutedHop[];
  /** Countries of credible claims in path order (no endpoints yet). */
  countries: string[];
  foreignAsns: number[];
  /** Credible located claims after the first TTL that answered. */
  locatedBeyondFirst: number;
}

/** What reading one claim needs besides the claim itself. */
interface WalkContext {
  annotated: AnnotatedTrace;
  home: ReadonlySet<string>;
  claims: readonly HopClaims[];
  refuted: ReadonlyMap<string, Refutation>;
  kmPerMs: number;
  flowStable: boolean;
  out: PathFindings;
}

/** Reads one claim into the hop table, recording foreign and refuted evidence on the way. */
function readClaim(ctx: WalkContext, index: number, claim: HopClaim): HopReading {
  const { out } = ctx;
  const minRttMs =
    claim.distanceKm === null
      ? null
      : minRttForDistance(claimedDistanceKm(claim.distanceKm, claim.radiusKm), ctx.kmPerMs);
  const location = claim.location;
  const country = location?.country?.toUpperCase() ?? null;
  const asn = claim.info?.asn ?? null;
  const reading: HopReading = {
    ttl: claim.ttl,
    ip: claim.ip,
    status: 'unlocated',
    country,
    rttMs: claim.rttMs,
    minRttMs,
    name: claim.name,
    asn: asn?.asn ?? null,
    org: asn?.org ?? null,
    city: location?.city ?? null,
    lat: location?.lat ?? null,
    lon: location?.lon ?? null,
    precision: location?.precision ?? null,
    database: location?.database ?? null,
  };
  const placement = claim.ip === null ? undefined : ctx.annotated.placements?.[claim.ip];
  if (placement !== undefined && claim.ip !== null) {
    reading.placement = hopPlacement(placement);
    out.refutedHops.push(...placementRefutations(claim.ttl, claim.ip, placement, ctx.home));
  }
  if (claim.kind === 'special') {
    reading.status = 'special';
    return reading;
  }
  if (claim.kind === 'unlocated' || claim.ip === null || location === null || country === null)
    return reading;
  if (claim.kind === 'home') {
    reading.status = 'home';
    if (!out.countries.includes(country)) out.countries.push(country);
    return reading;
  }
  const refutation = ctx.refuted.get(claim.ip);
  if (refutation) {
    reading.status = 'refuted';
    out.refutedHops.push({
      ttl: claim.ttl,
      ip: claim.ip,
      claimedCountry: country,
      claimedCity: location.city,
      ...refutation,
    });
    return reading;
  }
  const confirmed = isConfirmed(ctx.claims, index, claim, ctx.kmPerMs, ctx.flowStable);
  reading.status = confirmed ? 'foreign-confirmed' : 'foreign-probable';
  out.foreignHops.push({
    ttl: claim.ttl,
    ip: claim.ip,
    country,
    asn: asn?.asn ?? null,
    org: asn?.org ?? null,
    city: location.city,
    lat: location.lat,
    lon: location.lon,
    precision: location.precision,
    rttMs: claim.rttMs,
    minRttMs,
    confirmed,
  });
  if (!out.countries.includes(country)) out.countries.push(country);
  if (asn && !out.foreignAsns.includes(asn.asn)) out.foreignAsns.push(asn.asn);
  return reading;
}

function walkPath(
  annotated: AnnotatedTrace,
  home: ReadonlySet<string>,
  claims: readonly HopClaims[],
  refuted: ReadonlyMap<string, Refutation>,
  kmPerMs: number,
  flowStable: boolean,
): PathFindings {
  const out: PathFindings = {
    hops: [],
    foreignHops: [],
    refutedHops: [],
    countries: [],
    foreignAsns: [],
    locatedBeyondFirst: 0,
  };
  const ctx: WalkContext = { annotated, home, claims, refuted, kmPerMs, flowStable, out };
  let firstAnswered: number | null = null;
  for (let k = 0; k < claims.length; k++) {
    const hop = claims[k];
    if (!hop) continue;
    let shown: HopReading | null = null;
    for (const claim of hop.claims) {
      const reading = readClaim(ctx, k, claim);
      const credible =
        reading.status === 'home' ||
        reading.status === 'foreign-confirmed' ||
        reading.status === 'foreign-probable';
      if (credible && firstAnswered !== null && hop.ttl > firstAnswered) out.locatedBeyondFirst++;
      if (shown === null || STATUS_RANK[reading.status] > STATUS_RANK[shown.status]) shown = reading;
    }
    if (hop.claims.length > 0 && firstAnswered === null) firstAnswered = hop.ttl;
    out.hops.push(shown ?? noReply(hop.ttl));
  }
  return out;
}

function noReply(ttl: number): HopReading {
  return {
    ttl,
    ip: null,
    status: 'no-reply',
    country: null,
    rttMs: null,
    minRttMs: null,
    name: null,
    asn: null,
    org: null,
    city: null,
    lat: null,
    lon: null,
    precision: null,
    database: null,
  };
}

/** Extra km of prober -> each foreign hop in order -> destination, against prober -> destination directly. */
function extraKm(from: LatLon | null, to: LatLon | null, foreignHops: readonly ForeignHop[]): number | null {
  if (from === null || to === null || foreignHops.length === 0) return null;
  let total = 0;
  let at: LatLon = from;
  for (const hop of foreignHops) {
    total += greatCircleKm(at, hop);
    at = hop;
  }
  return total + greatCircleKm(at, to) - greatCircleKm(from, to);
}

/**
 * The verdict on one annotated trace. Database locations are claims tested against the speed of light from the
 * prober's position: refuted claims are kept in `refutedHops` and never make a detour. Pure and allocation-light:
 * it runs once per ingested trace.
 */
export function decideVerdict(annotated: AnnotatedTrace, options: VerdictOptions): Verdict {
  const { home, kmPerMs } = checkedOptions(options);
  const homeCountry = home.primary;
  const claims = collectHopClaims(annotated, home.countries);
  const flowStable = isFlowStable(annotated.trace.method);
  const position = annotated.sourcePosition;
  // Without the prober's position no RTT can test any location: nothing is refuted or confirmed.
  const refuted = position ? refuteClaims(claims, kmPerMs, flowStable) : NO_REFUTATIONS;
  const path = walkPath(annotated, home.countries, claims, refuted, kmPerMs, flowStable);
  const source = sourceFinding(annotated, home);
  const destination = destinationFinding(annotated, home, refuted);

  const countries: string[] = source.country ? [source.country] : [];
  for (const c of path.countries) if (!countries.includes(c)) countries.push(c);
  if (destination.country && !countries.includes(destination.country)) countries.push(destination.country);

  let verdict: VerdictKind;
  let confidence: Confidence | null = null;
  let reason: string;
  if (source.country !== null && !home.countries.has(source.country)) {
    verdict = 'foreign-endpoint';
    reason = `the source${source.ip ? ` ${source.ip}` : ''} is in ${source.country}, not ${homeCountry}: nothing to judge`;
  } else if (destination.country !== null && !home.countries.has(destination.country)) {
    verdict = 'foreign-endpoint';
    reason = `the destination${destination.ip ? ` ${destination.ip}` : ''} is in ${destination.country}, not ${homeCountry}: nothing to judge`;
  } else if (source.country === null) {
    verdict = 'inconclusive';
    reason = source.unknownBecause ?? 'the source country is unknown';
  } else if (destination.country === null) {
    verdict = 'inconclusive';
    reason = destination.unknownBecause ?? 'the destination country is unknown';
  } else if (position === null) {
    verdict = 'inconclusive';
    reason = 'the prober has no known position, so no RTT can test where the hops are';
  } else if (path.locatedBeyondFirst === 0) {
    verdict = 'inconclusive';
    reason = 'too little answered: no hop beyond the first replied from a located address';
  } else if (path.foreignHops.length > 0) {
    verdict = 'detour';
    confidence = path.foreignHops.some((h) => h.confirmed) ? 'confirmed' : 'probable';
    reason = detourReason(path.foreignHops, homeCountry);
  } else {
    verdict = 'domestic';
    reason = domesticReason(path.refutedHops, homeCountry) + placementNote(path.hops, home.countries);
  }

  return {
    verdict,
    confidence,
    homeCountry,
    homeCountries: [...home.countries],
    source: { ip: source.ip, country: source.country },
    destination: { ip: destination.ip, country: destination.country },
    countries,
    foreignAsns: path.foreignAsns,
    foreignHops: path.foreignHops,
    refutedHops: path.refutedHops,
    extraKm: verdict === 'detour' ? extraKm(position, destination.position, path.foreignHops) : null,
    reason,
    hops: path.hops,
  };
}
