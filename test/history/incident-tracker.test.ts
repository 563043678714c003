import { afterEach, beforeEach, expect, it } from 'vitest';
import { createIncidentFold } from '../../server/incidents/fold.ts';
import { type IncidentTracker, startIncidentTracker } from '../../server/incidents/tracker.ts';
import type { IncidentEvent, TraceObservation } from '../../server/incidents/types.ts';
import type { Store } from '../../server/store/store.ts';
import { detourObservation, domesticObservation } from './observation.ts';
import { describeEngines, storeEngines, type TestStore } from './test-store.ts';
import { recordOf } from './trace-records.ts';

const HOUR = 3_600_000;
const T0 = Date.parse('2024-05-01T00:00:00Z');
const QUIET = 6 * HOUR;
const page = { limit: 100, after: null, now: T0, fingerprint: '' };
const anyIncident = {
  since: null,
  until: null,
  state: null,
  agent: null,
  country: null,
  asn: null,
  target: null,
} as const;

const engines = await storeEngines('the incident tracker');
let env: TestStore;
let clock = T0;

/**
 * The tracker bound to a real store: traces are written through the store's write path (as imports), and
 * the fold runs in the transaction that writes them. `write` resolves with the ids it stored and what that
 * write raised.
 */
async function setup(): Promise<{
  tracker: IncidentTracker;
  store: Store;
  write(...observations: TraceObservation[]): Promise<{ ids: number[]; events: IncidentEvent[] }>;
}> {
  const { store } = env;
  let raised: IncidentEvent[] = [];
  const tracker = await startIncidentTracker({
    store,
    quietMs: QUIET,
    now: () => clock,
    // The lifecycle of one cause is tested here; witnesses have their own tests (incident-witnesses.test.ts).
    fold: createIncidentFold({ corroboration: 1, maxWitnessesPerOwner: 2 }),
    raise: (events) => raised.push(...events),
  });
  return {
    tracker,
    store,
    async write(...observations) {
      raised = [];
      const stored = await store.writeImported(observations.map(recordOf));
      const last = await store.lastTraceId();
      return { ids: Array.from({ length: stored }, (_, i) => last - stored + 1 + i), events: raised };
    },
  };
}

const detour = (o: Partial<TraceObservation>) => detourObservation(o);
const domestic = (o: Partial<TraceObservation>) => domesticObservation(o);

describeEngines(engines, (engine) => {
  beforeEach(async () => {
    env = await engine.open();
    clock = T0;
  });
  afterEach(() => env.cleanup());

  it('opens one incident for consecutive detours of one cause, with its evidence, and closes it when quiet', async () => {
    const { tracker, store, write } = await setup();
    clock = T0 + 10 * 60_000;
    const opened = (
      await write(
        detour({ startedAt: T0 }),
        detour({ startedAt: T0 + 5 * 60_000, destinationIp: '203.0.113.99' }),
      )
    ).events;
    expect(opened.map((e) => e.kind)).toEqual(['incident.opened']);
    const id = opened[0]?.incident.id ?? 0;
    expect(id).toBeGreaterThan(0);

    clock = T0 + 2 * HOUR;
    expect((await write(detour({ startedAt: T0 + HOUR, confidence: 'probable' }))).events).toEqual([]);
    // Another cause (ASN sequence) is another incident.
    const other = (await write(detour({ startedAt: T0 + HOUR, foreignAsns: [4809] }))).events;
    expect(other).toHaveLength(1);
    expect(other[0]?.incident.id).not.toBe(id);

    const incident = await store.incidentDetail(id);
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
    expect((await store.incidentTracePage(id, page)).items).toHaveLength(3);

    clock = T0 + HOUR + QUIET - 1;
    expect(await tracker.sweep()).toEqual([]);
    clock = T0 + HOUR + QUIET;
    const closed = await tracker.sweep();
    expect(closed.map((e) => [e.kind, e.incident.id, e.incident.closedAt])).toEqual(
      expect.arrayContaining([['incident.closed', id, T0 + HOUR + QUIET]]),
    );
    expect((await store.incidentDetail(id))?.state).toBe('closed');
    expect(await tracker.sweep()).toEqual([]);
  });

  it('starts a new incident when the detour returns after the quiet period', async () => {
    const { tracker, store, write } = await setup();
    clock = T0;
    await write(detour({ startedAt: T0 }));
    clock = T0 + 2 * QUIET;
    const closed = await tracker.sweep();
    const again = (await write(detour({ startedAt: T0 + 2 * QUIET }))).events;
    expect(closed).toHaveLength(1);
    expect(again).toHaveLength(1);
    expect(again[0]?.incident.id).not.toBe(closed[0]?.incident.id);
    expect((await store.incidentPage(anyIncident, page)).items).toHaveLength(2);
  });

  it('records old detours (imports) as closed incidents and still announces them, opened then closed, late', async () => {
    const { store, write } = await setup();
    clock = T0 + 30 * 24 * HOUR;
    // Issue 14: results with old timestamps used to raise nothing, so an agent's replayed outbox never alerted.
    const events = (await write(detour({ startedAt: T0, agentId: null }))).events;
    expect(events.map((e) => [e.kind, e.late])).toEqual([
      ['incident.opened', true],
      ['incident.closed', true],
    ]);
    const [incident] = (await store.incidentPage({ ...anyIncident, state: 'closed' }, page)).items;
    expect(incident).toMatchObject({
      state: 'closed',
      subject: 'region:47,-123',
      closedAt: new Date(T0 + QUIET).toISOString(),
    });
  });

  it('notes a domestic reading after the last detour: "it may be over"', async () => {
    const { store, write } = await setup();
    const [e] = (await write(detour({ startedAt: T0 }))).events;
    await write(domestic({ startedAt: T0 + HOUR }));
    expect((await store.incidentDetail(e?.incident.id ?? 0))?.lastClearAt).toBe(
      new Date(T0 + HOUR).toISOString(),
    );
  });

  it('catches up from its watermark what was stored while it was stopped, once', async () => {
    const { tracker, store, write } = await setup();
    const [a] = (await write(detour({ startedAt: T0 }))).ids;
    expect(await tracker.watermark()).toBe(a);
    // b and c are stored while no fold is bound (the coordinator stopped folding).
    tracker.stop();
    await store.writeImported(
      [detour({ startedAt: T0 + 60_000 }), detour({ startedAt: T0 + 120_000 })].map(recordOf),
    );
    const c = await store.lastTraceId();
    expect(await tracker.watermark()).toBe(a);
    await tracker.catchUp(1);
    expect(await tracker.watermark()).toBe(c);
    const [incident] = (await store.incidentPage(anyIncident, page)).items;
    expect(incident?.traceCount).toBe(3);
    // Nothing is left behind, and catching up again counts nothing twice.
    expect(await tracker.catchUp()).toEqual([]);
    expect((await store.incidentPage(anyIncident, page)).items.map((i) => i.traceCount)).toEqual([3]);
    const traces = await store.tracePage(
      { since: null, until: null, verdict: 'detour', agent: null, target: null, origin: null },
      page,
    );
    expect(traces.items.map((t) => t.incidentId)).toEqual([incident?.id, incident?.id, incident?.id]);
  });

  it('keeps a baseline per (agent, target) and shows the change', async () => {
    const { store, write } = await setup();
    await write(domestic({ startedAt: T0 }), domestic({ startedAt: T0 + HOUR }));
    let [b] = (await store.baselinePage({ agent: 'ag_seattle', target: null }, page)).items;
    expect(b).toMatchObject({
      target: '203.0.113.10',
      changed: false,
      normal: { countries: ['US'], asns: [3356, 7018], traces: 2 },
    });
    await write(detour({ startedAt: T0 + 2 * HOUR }));
    [b] = (await store.baselinePage({ agent: 'ag_seattle', target: '203.0.113.10' }, page)).items;
    expect(b).toMatchObject({ changed: true, latest: { verdict: 'detour', countries: ['US', 'CN', 'US'] } });
    const [incident] = (await store.incidentPage(anyIncident, page)).items;
    expect((await store.incidentDetail(incident?.id ?? 0))?.baselines.map((x) => x.target)).toEqual([
      '203.0.113.10',
    ]);
  });
});
