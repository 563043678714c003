import type {
  Baseline,
  BaselinePath,
  PathTally,
  RouteChange,
  RouteChangePath,
  TalliedRouterPath,
  TraceObservation,
  UsualPath,
  UsualRouterPath,
} from './types.ts';

/**
 * Baselines: per (vantage point, target address) the USUAL path, at AS level and at router level: the most
 * frequent over a window of the pair's recent judged traces (the last `traces` of them, none older than
 * `maxAgeMs` before the newest), with its share. Only `domestic` and `detour` traces take part: an
 * inconclusive or foreign-endpoint trace says nothing about the pair's path. The state is bounded: the window
 * keeps one small tuple per trace and at most a few distinct paths per level (the rarest is dropped first).
 *
 * A route change is recorded once per change of the AS path: `new-path` when a trace shows an AS path that is
 * not the usual one and not already in the window (a flap back to a path the window holds is no news), and
 * `new-usual` when another path takes over as the usual. Taking over needs a clear lead (see `LEAD`), so two
 * paths alternating never swap the usual back and forth.
 */

export interface BaselineWindow {
  /** How many recent judged traces the usual paths are counted over. */
  traces: number;
  /** Traces older than this before the pair's newest leave the window. */
  maxAgeMs: number;
}

const DAY_MS = 24 * 3600 * 1000;

/** 48 traces: half a day at the default 15-minute interval; a month at most. */
export const DEFAULT_BASELINE_WINDOW: BaselineWindow = { traces: 48, maxAgeMs: 30 * DAY_MS };

/** Distinct paths kept per level; a window rarely holds more than a few at AS level. */
export const MAX_AS_PATHS = 8;
export const MAX_ROUTER_PATHS = 6;
/** Router paths longer than this are cut (a traceroute stops at 30 to 64 TTLs). */
export const MAX_ROUTER_HOPS = 64;

/**
 * The lead a challenger needs over the usual path to replace it: at least 2 traces, and a fifth of the window.
 * Alternating paths stay within one trace of each other, so they never swap.
 */
export function lead(of: number): number {
  return Math.max(2, Math.ceil(of / 5));
}

const same = <T>(x: readonly T[], y: readonly T[]) => x.length === y.length && x.every((v, i) => v === y[i]);

export function samePath(
  a: Pick<BaselinePath, 'countries' | 'asns'>,
  b: Pick<BaselinePath, 'countries' | 'asns'>,
): boolean {
  if (!same(a.countries, b.countries)) return false;
  // Unknown ASNs on either side cannot show a difference.
  return a.asns === null || b.asns === null || same(a.asns, b.asns);
}

export function judgesPath(o: TraceObservation): boolean {
  return o.verdict === 'domestic' || o.verdict === 'detour';
}

/** The router-level path of an observation: trailing silent TTLs dropped, at most MAX_ROUTER_HOPS. */
function routersOf(o: TraceObservation): (string | null)[] | null {
  const hops = o.pathRouters;
  if (hops === undefined || hops === null) return null;
  let end = Math.min(hops.length, MAX_ROUTER_HOPS);
  while (end > 0 && hops[end - 1] === null) end--;
  return end === 0 ? null : hops.slice(0, end);
}

function emptyTally(): PathTally {
  return { nextId: 1, asPaths: [], routerPaths: [], recent: [], usualAs: null, usualRouter: null };
}

/**
 * A baseline stored before windows existed has only its normal path: it stands for as many traces as it
 * counted (up to the window), so the first different trace is a change from it, not the new usual.
 */
function seededTally(previous: Baseline | null, window: BaselineWindow): PathTally {
  const tally = emptyTally();
  const normal = previous?.normal ?? null;
  if (normal === null || normal.asns === null) return tally;
  tally.asPaths.push({
    id: 1,
    asns: [...normal.asns],
    countries: [...normal.countries],
    leftHome: false,
    firstSeen: normal.since,
    lastSeen: normal.lastSeen,
  });
  tally.nextId = 2;
  tally.usualAs = 1;
  const n = Math.max(1, Math.min(normal.traces, window.traces));
  for (let i = 0; i < n; i++) tally.recent.push([normal.lastSeen, 1, null]);
  return tally;
}

const countsOf = (recent: PathTally['recent'], at: 1 | 2): Map<number, number> => {
  const counts = new Map<number, number>();
  for (const entry of recent) {
    const id = entry[at];
    if (id !== null && id !== 0) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
};

const known = (recent: PathTally['recent'], at: 1 | 2): number => recent.filter((e) => e[at] !== null).length;

/**
 * Makes room for one more distinct path: drops the one with the fewest traces in the window (the oldest on a
 * tie), never the usual; its window entries stay, as "a path no longer kept" (id 0), so shares stay true.
 */
function evictOne<P extends { id: number; lastSeen: number }>(
  paths: P[],
  counts: Map<number, number>,
  usual: number | null,
  recent: PathTally['recent'],
  at: 1 | 2,
): P[] {
  const candidates = paths.filter((p) => p.id !== usual);
  if (candidates.length === 0) return paths;
  let victim = candidates[0] as P;
  for (const p of candidates) {
    const a = counts.get(p.id) ?? 0;
    const b = counts.get(victim.id) ?? 0;
    if (a < b || (a === b && p.lastSeen < victim.lastSeen)) victim = p;
  }
  for (const e of recent) if (e[at] === victim.id) e[at] = 0;
  return paths.filter((p) => p !== victim);
}

/** The usual id after the window changed: the current one unless a challenger leads it clearly. */
function nextUsual(
  current: number | null,
  counts: Map<number, number>,
  of: number,
  lastSeen: (id: number) => number,
) {
  let best: number | null = null;
  for (const [id, n] of counts) {
    const b = best === null ? -1 : (counts.get(best) ?? 0);
    if (n > b || (n === b && best !== null && lastSeen(id) > lastSeen(best))) best = id;
  }
  const mine = current === null ? 0 : (counts.get(current) ?? 0);
  if (current === null || mine === 0) return best;
  if (best === null || best === current) return current;
  return (counts.get(best) ?? 0) >= mine + lead(of) ? best : current;
}

function usualAsPath(tally: PathTally): UsualPath | null {
  const p = tally.asPaths.find((x) => x.id === tally.usualAs);
  if (p === undefined) return null;
  const traces = countsOf(tally.recent, 1).get(p.id) ?? 0;
  const of = known(tally.recent, 1);
  return {
    countries: [...p.countries],
    asns: [...p.asns],
    since: p.firstSeen,
    lastSeen: p.lastSeen,
    traces,
    of,
    share: of === 0 ? 0 : traces / of,
    leftHome: p.leftHome,
  };
}

export function usualRouterPath(tally: PathTally): UsualRouterPath | null {
  const p = tally.routerPaths.find((x) => x.id === tally.usualRouter);
  if (p === undefined) return null;
  const traces = countsOf(tally.recent, 2).get(p.id) ?? 0;
  const of = known(tally.recent, 2);
  return {
    hops: [...p.hops],
    since: p.firstSeen,
    lastSeen: p.lastSeen,
    traces,
    of,
    share: of === 0 ? 0 : traces / of,
  };
}

function changePath(u: UsualPath): RouteChangePath {
  return {
    asns: u.asns ?? [],
    countries: u.countries,
    traces: u.traces,
    of: u.of,
    share: u.share,
    leftHome: u.leftHome,
  };
}

function tallyPath(tally: PathTally, id: number): RouteChangePath | null {
  const p = tally.asPaths.find((x) => x.id === id);
  if (p === undefined) return null;
  const traces = countsOf(tally.recent, 1).get(id) ?? 0;
  const of = known(tally.recent, 1);
  return {
    asns: p.asns,
    countries: p.countries,
    traces,
    of,
    share: of === 0 ? 0 : traces / of,
    leftHome: p.leftHome,
  };
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

/** The latest judged path: the run of traces with the same path and verdict up to the newest one. */
function nextLatest(previous: Baseline['latest'] | null, o: TraceObservation): Baseline['latest'] {
  if (previous !== null && o.startedAt < previous.lastSeen) return previous;
  const seen = pathOf(o);
  if (previous === null || previous.verdict !== o.verdict || !samePath(previous, seen)) {
    return { ...seen, verdict: o.verdict, traceId: o.traceId };
  }
  return {
    ...previous,
    asns: previous.asns ?? seen.asns,
    lastSeen: o.startedAt,
    traces: previous.traces + 1,
    traceId: o.traceId,
  };
}

const startOf = (entry: PathTally['recent'][number] | undefined): number | null => entry?.[0] ?? null;

export interface BaselineStep {
  baseline: Baseline;
  /** At most one: what this trace changed about the pair's AS path. */
  changes: RouteChange[];
}

/** The baseline after one more trace of its pair, and the route change it showed; `o` must judge a path. */
export function baselineStep(
  previous: Baseline | null,
  o: TraceObservation,
  subject: string,
  target: string,
  window: BaselineWindow = DEFAULT_BASELINE_WINDOW,
): BaselineStep {
  const base = previous?.tally ?? seededTally(previous, window);
  const tally: PathTally = {
    ...base,
    asPaths: base.asPaths.map((p) => ({ ...p })),
    routerPaths: base.routerPaths.map((p) => ({ ...p })),
    recent: base.recent.map((e) => [...e] as PathTally['recent'][number]),
  };
  const newest = startOf(tally.recent[tally.recent.length - 1]);
  const oldest = startOf(tally.recent[0]);
  const outside =
    (newest !== null && o.startedAt < newest - window.maxAgeMs) ||
    (oldest !== null && tally.recent.length >= window.traces && o.startedAt < oldest);
  const latest = nextLatest(previous?.latest ?? null, o);
  const changed = (usual: UsualPath | null) =>
    latest.verdict === 'detour' || (usual !== null && !samePath(usual, latest));
  if (outside && previous !== null) {
    // Older than the whole window: it cannot change what is usual now.
    return { baseline: { ...previous, latest, changed: changed(previous.normal), tally }, changes: [] };
  }

  const before = usualAsPath(tally) ?? previous?.normal ?? null;
  const asCounts = countsOf(tally.recent, 1);
  const routerCounts = countsOf(tally.recent, 2);

  let asId: number | null = null;
  let newAsPath = false;
  if (o.pathAsns !== null) {
    const asns = o.pathAsns;
    let p = tally.asPaths.find((x) => same(x.asns, asns));
    if (p === undefined) {
      if (tally.asPaths.length >= MAX_AS_PATHS) {
        tally.asPaths = evictOne(tally.asPaths, asCounts, tally.usualAs, tally.recent, 1);
      }
      p = {
        id: tally.nextId++,
        asns: [...asns],
        countries: [...o.pathCountries],
        leftHome: false,
        firstSeen: o.startedAt,
        lastSeen: o.startedAt,
      };
      tally.asPaths.push(p);
      newAsPath = true;
    }
    p.firstSeen = Math.min(p.firstSeen, o.startedAt);
    if (o.startedAt >= p.lastSeen) {
      p.lastSeen = o.startedAt;
      p.countries = [...o.pathCountries];
      p.leftHome = o.verdict === 'detour';
    }
    asId = p.id;
  }

  let routerId: number | null = null;
  const hops = routersOf(o);
  if (hops !== null) {
    let p: TalliedRouterPath | undefined = tally.routerPaths.find((x) => same(x.hops, hops));
    if (p === undefined) {
      if (tally.routerPaths.length >= MAX_ROUTER_PATHS) {
        tally.routerPaths = evictOne(tally.routerPaths, routerCounts, tally.usualRouter, tally.recent, 2);
      }
      p = { id: tally.nextId++, hops, firstSeen: o.startedAt, lastSeen: o.startedAt };
      tally.routerPaths.push(p);
    }
    p.firstSeen = Math.min(p.firstSeen, o.startedAt);
    p.lastSeen = Math.max(p.lastSeen, o.startedAt);
    routerId = p.id;
  }

  // In time order (an out-of-order trace goes to its place), then trimmed to the window.
  let at = tally.recent.length;
  while (at > 0 && (startOf(tally.recent[at - 1]) ?? 0) > o.startedAt) at--;
  tally.recent.splice(at, 0, [o.startedAt, asId, routerId]);
  while (tally.recent.length > window.traces) tally.recent.shift();
  const top = startOf(tally.recent[tally.recent.length - 1]) ?? o.startedAt;
  while (tally.recent.length > 0 && (startOf(tally.recent[0]) ?? top) < top - window.maxAgeMs) {
    tally.recent.shift();
  }

  // Paths no trace in the window took any more are forgotten.
  const asNow = countsOf(tally.recent, 1);
  const routersNow = countsOf(tally.recent, 2);
  tally.asPaths = tally.asPaths.filter((p) => asNow.has(p.id));
  tally.routerPaths = tally.routerPaths.filter((p) => routersNow.has(p.id));
  const asSeen = (id: number) => tally.asPaths.find((p) => p.id === id)?.lastSeen ?? 0;
  const routerSeen = (id: number) => tally.routerPaths.find((p) => p.id === id)?.lastSeen ?? 0;
  const previousUsual = tally.usualAs;
  tally.usualAs = nextUsual(tally.usualAs, asNow, known(tally.recent, 1), asSeen);
  tally.usualRouter = nextUsual(tally.usualRouter, routersNow, known(tally.recent, 2), routerSeen);

  const normal = usualAsPath(tally);
  const changes: RouteChange[] = [];
  const record = (kind: RouteChange['kind'], after: RouteChangePath) => {
    if (before === null) return;
    changes.push({
      subject,
      agentId: o.agentId,
      target,
      kind,
      at: o.startedAt,
      traceId: o.traceId,
      before: changePath(before),
      after,
      leftHome: o.verdict === 'detour',
    });
  };
  const usualMoved = tally.usualAs !== null && tally.usualAs !== previousUsual && before !== null;
  if (usualMoved && normal !== null && !samePath(before, normal)) {
    record('new-usual', changePath(normal));
  } else if (newAsPath && asId !== null && before !== null && !same(before.asns ?? [], o.pathAsns ?? [])) {
    const after = tallyPath(tally, asId);
    if (after !== null) record('new-path', { ...after, leftHome: o.verdict === 'detour' });
  }

  return {
    baseline: {
      subject,
      agentId: o.agentId,
      target,
      normal,
      routers: usualRouterPath(tally),
      latest,
      changed: changed(normal),
      tally,
    },
    changes,
  };
}

/** The baseline after one more trace of its pair (the route change, if any, is `baselineStep`'s). */
export function updateBaseline(
  previous: Baseline | null,
  o: TraceObservation,
  subject: string,
  target: string,
  window: BaselineWindow = DEFAULT_BASELINE_WINDOW,
): Baseline {
  return baselineStep(previous, o, subject, target, window).baseline;
}

/** "AS7018 AS3356: 83% of 48 traces": how the CLI and reports name a usual path. */
export function describeUsual(p: {
  asns: number[] | null;
  traces: number;
  of: number;
  share: number;
}): string {
  const path =
    p.asns === null || p.asns.length === 0 ? '(no ASN known)' : p.asns.map((a) => `AS${a}`).join(' ');
  return `${path}: ${Math.round(p.share * 100)}% of ${p.of} trace${p.of === 1 ? '' : 's'}`;
}
