import type { PlausibilityProblem } from '../../protocol/plausibility.ts';
import type { Trace } from '../../protocol/trace.ts';
import type { Verdict } from '../../protocol/verdict.ts';

/**
 * The verdict of a trace that failed the plausibility check: kept with its reasons, judged nothing. No country,
 * foreign hop or reading is derived from it, so nothing downstream (incidents, baselines, "detours via") can
 * count it as evidence.
 */
export function implausibleVerdict(
  trace: Trace,
  problems: readonly PlausibilityProblem[],
  homeCountry: string,
): Verdict {
  return {
    verdict: 'implausible',
    confidence: null,
    homeCountry,
    source: { ip: trace.source.address ?? trace.source.publicAddress ?? null, country: null },
    destination: { ip: trace.destination.address, country: null },
    countries: [],
    foreignAsns: [],
    foreignHops: [],
    refutedHops: [],
    extraKm: null,
    reason: `no real traceroute prints this trace, so it is not judged: ${problems.map((p) => p.message).join('; ')}`,
    hops: [],
    problems: [...problems],
  };
}
