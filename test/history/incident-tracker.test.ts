import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHistoryQueries } from '../../server/history/queries.ts';
import { createIncidentTracker } from '../../server/incidents/tracker.ts';
import type { TraceObservation } from '../../server/incidents/types.ts';
import { detourObservation, domesticObservation } from './observation.ts';
import { openTestDb } from './test-db.ts';
import { storeObserved } from './trace-rows.ts';

const HOUR = 3_600_000;
const T0 = Date.parse('2024-05-01T00:00:00Z');
const QUIET = 6 * HOUR;
const page = { limit: 100, after: null, now: T0, fingerprint: '' };

let env: ReturnType<typeof openTestDb>;
let clock = T0;
beforeEach(() => {
  env = openTestDb();
  clock = T0;
});
afterEach(() => env.cleanup());

function setup() {
  const tracker = createIncidentTracker({ db: env.db, quietMs: QUIET, now: () => clock });
  const queries = createHistoryQueries(env.db);
  const store = (o: Partial<TraceObservation>, kind: 'detour' | 'domestic' = 'detour') =>
    storeObserved(env.db, kind === 'detour' ? detourObservation(o) : domesticObservation(o));
  return { tracker, queries, store };
}

describe('the incident tracker on SQLite', () => {
  it('opens one incident for consecutive detours of one cause, with its evidence, and closes it when quiet', () => {
    const { tracker, queries, store } = setup();
    clock = T0 + 10 * 60_000;
    const opened = tracker.observe([
      store({ startedAt: T0 }),
      store({ startedAt: T0 + 5 * 60_000, destinationIp: '203.0.113.99' }),
    ]);
    expect(opened.map((e) => e.kind)).toEqual(['incident.opened']);
    const id = opened[0]?.incident.id ?? 0;

    clock = T0 + 2 * HOUR;
    expect(tracker.observe([store({ startedAt: T0 + HOUR, confidence: 'probable' })])).toEqual([]);
    // Another cause (ASN sequence) is another incident.
    const other = tracker.observe([store({ startedAt: T0 + HOUR, foreignAsns: [4809] })]);
    expect(other).toHaveLength(1);
    expect(other[0]?.incident.id).not.toBe(id);

    const incident = queries.incident(id);
    expect(incident).toMatchObject({
      state: 'open',
      traceCount: 3,
      confirmedCount: 2,
      destinationPrefix: '203.0.113.0/24',
      countries: ['CN'],
      asns: [4134],
      firstSeen: new Date(T0).toISOString(),
      lastSeen: new Date(T0 + HOUR).toISOString(),
    });
    expect(queries.incidentTraces(id, page).items).toHaveLength(3);

    clock = T0 + HOUR + QUIET - 1;
    expect(tracker.sweep()).toEqual([]);
    clock = T0 + HOUR + QUIET;
    const closed = tracker.sweep();
    expect(closed.map((e) => [e.kind, e.incident.id, e.incident.closedAt])).toEqual(
      expect.arrayContaining([['incident.closed', id, T0 + HOUR + QUIET]]),
    );
    expect(queries.incident(id)?.state).toBe('closed');
    expect(tracker.sweep()).toEqual([]);
  });

  it('starts a new incident when the detour returns after the quiet period', () => {
    const { tracker, queries, store } = setup();
    clock = T0;
    tracker.observe([store({ startedAt: T0 })]);
    clock = T0 + 2 * QUIET;
    const closed = tracker.sweep();
    const again = tracker.observe([store({ startedAt: T0 + 2 * QUIET })]);
    expect(closed).toHaveLength(1);
    expect(again).toHaveLength(1);
    expect(again[0]?.incident.id).not.toBe(closed[0]?.incident.id);
    expect(
      queries.incidents(
        { since: null, until: null, state: null, agent: null, country: null, asn: null, target: null },
        page,
      ).items,
    ).toHaveLength(2);
  });

  it('records old detours (imports) as closed incidents without raising alerts', () => {
    const { tracker, queries, store } = setup();
    clock = T0 + 30 * 24 * HOUR;
    expect(tracker.observe([store({ startedAt: T0, agentId: null })])).toEqual([]);
    const [incident] = queries.incidents(
      { since: null, until: null, state: 'closed', agent: null, country: null, asn: null, target: null },
      page,
    ).items;
    expect(incident).toMatchObject({
      state: 'closed',
      subject: 'region:47,-123',
      closedAt: new Date(T0 + QUIET).toISOString(),
    });
  });

  it('notes a domestic reading after the last detour: "it may be over"', () => {
    const { tracker, queries, store } = setup();
    const [e] = tracker.observe([store({ startedAt: T0 })]);
    tracker.observe([store({ startedAt: T0 + HOUR }, 'domestic')]);
    expect(queries.incident(e?.incident.id ?? 0)?.lastClearAt).toBe(new Date(T0 + HOUR).toISOString());
  });

  it('is idempotent per trace, and catches up from its watermark after a stop', () => {
    const { tracker, queries, store } = setup();
    const a = store({ startedAt: T0 });
    tracker.observe([a]);
    tracker.observe([a]);
    const b = store({ startedAt: T0 + 60_000 });
    const c = store({ startedAt: T0 + 120_000 });
    expect(tracker.watermark()).toBe(a.traceId);
    // b and c were stored but never observed (a stop between commit and observation).
    const all = [a, b, c];
    tracker.catchUp((after, limit) => all.filter((o) => o.traceId > after).slice(0, limit), 1);
    expect(tracker.watermark()).toBe(c.traceId);
    const [incident] = queries.incidents(
      { since: null, until: null, state: null, agent: null, country: null, asn: null, target: null },
      page,
    ).items;
    expect(incident?.traceCount).toBe(3);
  });

  it('keeps a baseline per (agent, target) and shows the change', () => {
    const { tracker, queries, store } = setup();
    tracker.observe([store({ startedAt: T0 }, 'domestic'), store({ startedAt: T0 + HOUR }, 'domestic')]);
    let [b] = queries.baselines({ agent: 'ag_seattle', target: null }, page).items;
    expect(b).toMatchObject({
      target: '203.0.113.10',
      changed: false,
      normal: { countries: ['US'], asns: [3356, 7018], traces: 2 },
    });
    tracker.observe([store({ startedAt: T0 + 2 * HOUR })]);
    [b] = queries.baselines({ agent: 'ag_seattle', target: '203.0.113.10' }, page).items;
    expect(b).toMatchObject({ changed: true, latest: { verdict: 'detour', countries: ['US', 'CN', 'US'] } });
    const incident = queries.incidents(
      { since: null, until: null, state: null, agent: null, country: null, asn: null, target: null },
      page,
    ).items[0];
    expect(queries.incident(incident?.id ?? 0)?.baselines.map((x) => x.target)).toEqual(['203.0.113.10']);
  });
});
