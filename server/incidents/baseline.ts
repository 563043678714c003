import type { Baseline, BaselinePath, TraceObservation } from './types.ts';

/**
 * Baselines: per (vantage point, target address) the normal path, taken as the latest domestic one, and the
 * latest judged path. Only `domestic` and `detour` traces take part: an inconclusive or foreign-endpoint trace
 * says nothing about the pair's path. Traces arriving out of order never replace a newer reading.
 */

export function samePath(
  a: Pick<BaselinePath, 'countries' | 'asns'>,
  b: Pick<BaselinePath, 'countries' | 'asns'>,
): boolean {
  const same = <T>(x: T[], y: T[]) => x.length === y.length && x.every((v, i) => v === y[i]);
  if (!same(a.countries, b.countries)) return false;
  // Unknown ASNs on either side cannot show a difference.
  return a.asns === null || b.asns === null || same(a.asns, b.asns);
}

export function judgesPath(o: TraceObservation): boolean {
  return o.verdict === 'domestic' || o.verdict === 'detour';
}

function pathOf(o: TraceObservation): BaselinePath {
  return {
    countries: [...o.pathCountries],
    asns: o.pathAsns === null ? null : [...o.pathAsns],
    since: o.startedAt,
    lastSeen: o.startedAt,
    traces: 1,
  };
}

/** Adds one observation to the path it continues, or starts a new one when the path changed. */
function extend(path: BaselinePath | null, o: TraceObservation): BaselinePath {
  const seen = pathOf(o);
  if (path === null) return seen;
  if (o.startedAt < path.lastSeen) {
    // Older than what we know: it only counts when it is the same path.
    return samePath(path, seen)
      ? { ...path, since: Math.min(path.since, o.startedAt), traces: path.traces + 1 }
      : path;
  }
  if (!samePath(path, seen)) return seen;
  return { ...path, asns: path.asns ?? seen.asns, lastSeen: o.startedAt, traces: path.traces + 1 };
}

/** The baseline after one more trace of its pair; the observation must judge a path (see `judgesPath`). */
export function updateBaseline(
  previous: Baseline | null,
  o: TraceObservation,
  subject: string,
  target: string,
): Baseline {
  const normal = o.verdict === 'domestic' ? extend(previous?.normal ?? null, o) : (previous?.normal ?? null);
  const prevLatest = previous?.latest ?? null;
  const latest =
    prevLatest !== null && o.startedAt < prevLatest.lastSeen
      ? prevLatest
      : {
          ...extend(prevLatest !== null && prevLatest.verdict === o.verdict ? prevLatest : null, o),
          verdict: o.verdict,
          traceId: o.traceId,
        };
  return {
    subject,
    agentId: o.agentId,
    target,
    normal,
    latest,
    changed: latest.verdict === 'detour' || (normal !== null && !samePath(normal, latest)),
  };
}
