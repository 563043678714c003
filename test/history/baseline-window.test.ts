/**
 * Baselines as usual paths (issue 14, item 4): the most frequent AS-level and router-level path over a window
 * of the pair's recent judged traces, with its share; a change of the AS path recorded once, never per flap.
 * Pure table tests of server/incidents/baseline.ts and of the fold that carries its route changes.
 */
import { describe, expect, it } from 'vitest';
import {
  type BaselineWindow,
  baselineStep,
  DEFAULT_BASELINE_WINDOW,
  describeUsual,
  lead,
  MAX_AS_PATHS,
  MAX_ROUTER_PATHS,
} from '../../server/incidents/baseline.ts';
import { foldObservations } from '../../server/incidents/fold.ts';
import type { Baseline, RouteChange, TraceObservation } from '../../server/incidents/types.ts';
import { detourObservation, domesticObservation } from './observation.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse('2024-05-01T00:00:00Z');
const A = [7018, 3356];
const B = [7018, 174, 3356];
const ROUTERS_A = ['192.0.2.1', '198.51.100.1', null, '203.0.113.10'];
const ROUTERS_B = ['192.0.2.1', '198.51.100.9', '203.0.113.10'];

/** Runs a sequence of observations through the baseline, collecting every route change. */
function run(observations: TraceObservation[], window: BaselineWindow = DEFAULT_BASELINE_WINDOW) {
  let baseline: Baseline | null = null;
  const changes: RouteChange[] = [];
  for (const o of observations) {
    const step = baselineStep(baseline, o, 'agent:ag_seattle', '203.0.113.10', window);
    baseline = step.baseline;
    changes.push(...step.changes);
  }
  if (baseline === null) throw new Error('no observation');
  return { baseline, changes };
}

let nextId = 1;
const domestic = (asns: number[], at: number, routers: (string | null)[] | null = null) =>
  domesticObservation({ traceId: nextId++, startedAt: at, pathAsns: asns, pathRouters: routers });
const series = (asns: number[], n: number, from: number, routers: (string | null)[] | null = null) =>
  Array.from({ length: n }, (_, i) => domestic(asns, from + i * HOUR, routers));

describe('the usual path of a pair', () => {
  it('is the most frequent AS path of the window, with its share', () => {
    const { baseline, changes } = run([...series(A, 5, T0), domestic(B, T0 + 5 * HOUR)]);
    expect(baseline.normal).toMatchObject({ asns: A, traces: 5, of: 6, since: T0, lastSeen: T0 + 4 * HOUR });
    expect(baseline.normal?.share).toBeCloseTo(5 / 6, 10);
    expect(describeUsual(baseline.normal ?? { asns: null, traces: 0, of: 0, share: 0 })).toBe(
      `AS7018 AS3356: ${Math.round((5 / 6) * 100)}% of 6 traces`,
    );
    // The latest trace took another route: a change from the usual, recorded once as a new path.
    expect(baseline.changed).toBe(true);
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({
      kind: 'new-path',
      at: T0 + 5 * HOUR,
      before: { asns: A, traces: 5, of: 5, share: 1 },
      after: { asns: B, traces: 1, of: 6, leftHome: false },
      leftHome: false,
    });
  });

  it('keeps the usual router-level path with its share, apart from the AS path', () => {
    const { baseline } = run([
      ...series(A, 3, T0, ROUTERS_A),
      domestic(A, T0 + 3 * HOUR, ROUTERS_B),
      domestic(A, T0 + 4 * HOUR, null),
    ]);
    // A trace whose hops were not at hand (null) counts for the AS path only.
    expect(baseline.normal).toMatchObject({ asns: A, traces: 5, of: 5 });
    expect(baseline.routers).toMatchObject({ hops: ROUTERS_A, traces: 3, of: 4 });
    expect(baseline.routers?.share).toBeCloseTo(3 / 4, 10);
  });

  it('records a lasting change once as a new path and once when it becomes the usual', () => {
    const before = series(A, 10, T0);
    const after = series(B, 30, T0 + 10 * HOUR);
    const { baseline, changes } = run([...before, ...after]);
    expect(changes.map((c) => c.kind)).toEqual(['new-path', 'new-usual']);
    // The takeover happens at the first B trace that leads A by the required margin (no trace left the window).
    let k = 1;
    while (k < lead(10 + k) + 10) k++;
    expect(changes[1]).toMatchObject({
      traceId: after[k - 1]?.traceId,
      before: { asns: A, traces: 10 },
      after: { asns: B, traces: k, of: 10 + k },
    });
    expect(baseline.normal).toMatchObject({ asns: B, traces: 30, of: 40 });
  });

  it('does not record flapping between two paths more than once, nor swap the usual', () => {
    const flaps: TraceObservation[] = [];
    for (let i = 0; i < 60; i++) flaps.push(domestic(i % 2 === 0 ? B : A, T0 + (10 + i) * HOUR));
    const { baseline, changes } = run([...series(A, 10, T0), ...flaps]);
    expect(changes).toHaveLength(1);
    expect(changes[0]?.kind).toBe('new-path');
    expect(baseline.normal?.asns).toEqual(A);
    // The window is full: 48 traces, half and half.
    expect(baseline.normal).toMatchObject({ traces: 24, of: DEFAULT_BASELINE_WINDOW.traces });
  });

  it('records a domestic route change and a detour alike, saying which left home', () => {
    const detour = detourObservation({ traceId: nextId++, startedAt: T0 + 5 * HOUR, pathAsns: [7018, 4134] });
    const { changes } = run([...series(A, 5, T0), detour, domestic(B, T0 + 6 * HOUR)]);
    expect(changes.map((c) => [c.kind, c.after.asns, c.leftHome])).toEqual([
      ['new-path', [7018, 4134], true],
      ['new-path', B, false],
    ]);
    expect(changes[0]?.after.countries).toEqual(['US', 'CN', 'US']);
  });

  it('lets paths older than the age limit leave the window: the first trace after a long gap is the new usual', () => {
    const window = { traces: 48, maxAgeMs: 7 * DAY };
    const { baseline, changes } = run([...series(A, 5, T0), domestic(B, T0 + 30 * DAY)], window);
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({
      kind: 'new-usual',
      before: { asns: A, traces: 5 },
      after: { asns: B },
    });
    expect(baseline.normal).toMatchObject({ asns: B, traces: 1, of: 1, share: 1 });
  });

  it('ignores a trace older than the whole window, and places a late one in time order', () => {
    const window = { traces: 4, maxAgeMs: 30 * DAY };
    const first = run(series(A, 4, T0 + 10 * HOUR), window).baseline;
    const stale = baselineStep(first, domestic(B, T0), 's', 't', window);
    expect(stale.changes).toEqual([]);
    expect(stale.baseline.tally).toEqual(first.tally);
    // Within the window: it counts (the oldest A leaves), and it is a new path.
    const late = baselineStep(first, domestic(B, T0 + 11 * HOUR + 1), 's', 't', window);
    expect(late.changes.map((c) => c.kind)).toEqual(['new-path']);
    expect(late.baseline.tally?.recent.map((e) => e[0])).toEqual([
      T0 + 11 * HOUR,
      T0 + 11 * HOUR + 1,
      T0 + 12 * HOUR,
      T0 + 13 * HOUR,
    ]);
    expect(late.baseline.latest.traceId).toBe(first.latest.traceId);
  });

  it('stays bounded however many paths a pair shows', () => {
    const many: TraceObservation[] = [];
    for (let i = 0; i < 400; i++) {
      const routers = [`192.0.2.${i % 50}`, `198.51.100.${i % 17}`, '203.0.113.10'];
      many.push(domestic([7018, 64500 + (i % 23), 3356], T0 + i * HOUR, routers));
    }
    const { baseline } = run(many);
    const tally = baseline.tally;
    expect(tally?.recent.length).toBe(DEFAULT_BASELINE_WINDOW.traces);
    expect(tally?.asPaths.length).toBeLessThanOrEqual(MAX_AS_PATHS);
    expect(tally?.routerPaths.length).toBeLessThanOrEqual(MAX_ROUTER_PATHS);
    // Shares stay true: evicted paths still count in "of".
    expect(baseline.normal?.of).toBe(DEFAULT_BASELINE_WINDOW.traces);
    expect(JSON.stringify(baseline).length).toBeLessThan(8_000);
  });

  it('continues a baseline stored before windows existed from its normal path', () => {
    const old: Baseline = {
      subject: 's',
      agentId: 'ag_seattle',
      target: 't',
      normal: {
        countries: ['US'],
        asns: A,
        since: T0,
        lastSeen: T0 + 9 * HOUR,
        traces: 10,
        of: 10,
        share: 1,
        leftHome: false,
      },
      latest: {
        countries: ['US'],
        asns: A,
        since: T0,
        lastSeen: T0 + 9 * HOUR,
        traces: 10,
        verdict: 'domestic',
        traceId: 9,
      },
      changed: false,
    };
    const step = baselineStep(old, domestic(B, T0 + 10 * HOUR), 's', 't');
    expect(step.changes).toMatchObject([{ kind: 'new-path', before: { asns: A, traces: 10 } }]);
    expect(step.baseline.normal).toMatchObject({ asns: A, traces: 10, of: 11 });
  });
});

describe('the fold with usual paths', () => {
  it('hands the route changes to the store with the baselines they came from', () => {
    const observations = [...series(A, 3, T0), domestic(B, T0 + 3 * HOUR)];
    const { writes } = foldObservations(
      { incidents: [], baselines: [], linked: [] },
      observations,
      2 * HOUR,
      T0 + DAY,
    );
    expect(writes.baselines).toHaveLength(1);
    expect(writes.baselines[0]?.normal).toMatchObject({ asns: A, traces: 3, of: 4 });
    expect(writes.routeChanges).toMatchObject([
      {
        kind: 'new-path',
        traceId: observations[3]?.traceId,
        subject: 'agent:ag_seattle',
        target: '203.0.113.10',
      },
    ]);
  });
});
