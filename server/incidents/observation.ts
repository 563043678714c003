import type { AnnotatedTrace } from '../../protocol/annotated.ts';
import type { Trace } from '../../protocol/trace.ts';
import type { Verdict } from '../../protocol/verdict.ts';
import type { TraceObservation } from './types.ts';

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
  };
}
