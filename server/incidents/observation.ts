import type { AnnotatedTrace } from '../../protocol/annotated.ts';
import type { Trace } from '../../protocol/trace.ts';
import type { Verdict } from '../../protocol/verdict.ts';
import type { LocatedReply, TraceObservation } from './types.ts';

/** Readings that are a database's placement of a global address (special and silent hops have none). */
const PLACED = new Set<string>(['home', 'foreign-confirmed', 'foreign-probable', 'refuted']);

/**
 * The first public hop, when a City database placed it at city level (a country centroid says nothing of
 * where the agent is). The database's own placement, also when physics refuted it: the refutation measured
 * from the claimed position, which is what the vantage checks are testing.
 */
export function firstLocatedHop(verdict: Verdict): LocatedReply | null {
  const first = verdict.hops.find((h) => h.ip !== null && h.status !== 'special' && h.status !== 'no-reply');
  if (first === undefined || first.ip === null || !PLACED.has(first.status)) return null;
  if (first.precision !== 'city' || first.lat === null || first.lon === null || first.rttMs === null)
    return null;
  return {
    ip: first.ip,
    lat: first.lat,
    lon: first.lon,
    rttMs: first.rttMs,
    asn: first.asn,
    city: first.city,
  };
}

/** The lowest RTT of a reply from the destination address itself. */
export function destinationRtt(verdict: Verdict, destination: string | null): number | null {
  if (destination === null) return null;
  const rtts = verdict.hops
    .filter((h) => h.ip === destination && h.rttMs !== null)
    .map((h) => h.rttMs as number);
  return rtts.length === 0 ? null : Math.min(...rtts);
}

/**
 * The ASNs along a path, in TTL order and distinct, from the annotated addresses: what a baseline compares.
 * Per TTL the first responder counts (the one the verdict reads); special-range and unknown addresses add none.
 */
export function pathAsns(annotated: AnnotatedTrace): number[] {
  const seen: number[] = [];
  for (const hop of annotated.trace.hops) {
    const address = hop.replies.find((r) => r.address !== null)?.address;
    const asn = address ? annotated.addresses[address]?.asn?.asn : undefined;
    if (asn !== undefined && !seen.includes(asn)) seen.push(asn);
  }
  return seen;
}

/** Distinct foreign countries in path order (the verdict's `countries` includes home). */
function foreignCountries(verdict: Verdict): string[] {
  return [...new Set(verdict.foreignHops.map((h) => h.country))];
}

export interface StoredTraceFacts {
  traceId: number;
  agentId: string | null;
  trace: Trace;
  verdict: Verdict;
  /** Epoch ms, as stored. */
  startedAt: number;
  sourcePosition: { lat: number; lon: number } | null;
  /** Null when the annotated trace was not at hand (a trace observed again from the store). */
  pathAsns: number[] | null;
  /** Stored as late (`serve --late-after`). */
  late?: boolean;
}

export function observationOf(f: StoredTraceFacts): TraceObservation {
  return {
    traceId: f.traceId,
    agentId: f.agentId,
    sourcePosition: f.sourcePosition,
    sourceIp: f.trace.source.address,
    destinationIp: f.trace.destination.address,
    startedAt: f.startedAt,
    verdict: f.verdict.verdict,
    confidence: f.verdict.confidence,
    foreignCountries: foreignCountries(f.verdict),
    foreignAsns: f.verdict.foreignAsns,
    pathCountries: f.verdict.countries,
    pathAsns: f.pathAsns,
    pathRouters: f.verdict.hops.map((h) => h.ip),
    firstHop: firstLocatedHop(f.verdict),
    destinationRttMs: destinationRtt(f.verdict, f.trace.destination.address),
    late: f.late === true,
  };
}
