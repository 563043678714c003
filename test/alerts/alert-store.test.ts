/**
 * What issue 14's alerts keep in the store, on both engines: maintenance windows (add, list, remove), the
 * rule a delivery went out by, and the late flag of a trace, shown in the trace list and read again by
 * catch-up (a late trace folded later still raises late events).
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createIncidentFold } from '../../server/incidents/fold.ts';
import { startIncidentTracker } from '../../server/incidents/tracker.ts';
import type { IncidentEvent } from '../../server/incidents/types.ts';
import { detourObservation } from '../history/observation.ts';
import { describeEngines, storeEngines, type TestStore } from '../history/test-store.ts';
import { recordOf } from '../history/trace-records.ts';

const T0 = Date.parse('2026-05-01T00:00:00Z');
const HOUR = 3_600_000;
const page = { limit: 50, after: null, now: T0, fingerprint: '' };
const allTraces = {
  since: null,
  until: null,
  verdict: null,
  agent: null,
  target: null,
  origin: null,
} as const;

const engines = await storeEngines('alert records');
let env: TestStore;

describeEngines(engines, (engine) => {
  beforeEach(async () => {
    env = await engine.open();
  });
  afterEach(() => env.cleanup());

  it('keeps maintenance windows: added with ids, listed by start, filtered by end, removed', async () => {
    const { store } = env;
    const later = await store.addMaintenanceWindow({
      agentId: null,
      target: '203.0.113.0/24',
      startsAt: T0 + 2 * HOUR,
      endsAt: T0 + 3 * HOUR,
      reason: 'renumbering',
      createdAt: T0,
    });
    const first = await store.addMaintenanceWindow({
      agentId: 'ag_1',
      target: null,
      startsAt: T0,
      endsAt: T0 + HOUR,
      reason: 'router upgrade',
      createdAt: T0,
    });
    expect(first.id).toBeGreaterThan(later.id);
    expect(first).toEqual({
      id: first.id,
      agentId: 'ag_1',
      target: null,
      startsAt: T0,
      endsAt: T0 + HOUR,
      reason: 'router upgrade',
      createdAt: T0,
    });
    expect((await store.listMaintenanceWindows(null)).map((w) => w.id)).toEqual([first.id, later.id]);
    // Ended at T0 + 1h: not among those ending after it.
    expect((await store.listMaintenanceWindows(T0 + HOUR)).map((w) => w.id)).toEqual([later.id]);
    expect(await store.removeMaintenanceWindow(first.id)).toBe(true);
    expect(await store.removeMaintenanceWindow(first.id)).toBe(false);
    expect(await store.listMaintenanceWindows(null)).toEqual([later]);
    // One of agent or target, and an end after the start: the schema refuses anything else.
    await expect(
      store.addMaintenanceWindow({ ...later, agentId: 'ag_1', target: '203.0.113.0/24' }),
    ).rejects.toThrow();
    await expect(store.addMaintenanceWindow({ ...first, endsAt: first.startsAt })).rejects.toThrow();
  });

  it('records the rule a delivery went out by', async () => {
    const { store } = env;
    const ruled = await store.createDelivery(
      'incident.confirmed',
      4,
      'http://127.0.0.1/... #1',
      T0,
      'rule 2 (confirmed)',
    );
    const plain = await store.createDelivery('incident.opened', 4, 'http://127.0.0.1/... #1', T0);
    const items = (await store.deliveryPage(page)).items;
    expect(items.map((d) => [d.id, d.event, d.rule])).toEqual([
      [plain, 'incident.opened', null],
      [ruled, 'incident.confirmed', 'rule 2 (confirmed)'],
    ]);
  });

  it('stores the late flag, shows it in the trace list, and catch-up folds it into late events', async () => {
    const { store } = env;
    const now = T0 + 10 * 24 * HOUR;
    await store.writeImported([
      { ...recordOf(detourObservation({ startedAt: T0, destinationIp: '203.0.113.10' })), late: true },
      { ...recordOf(detourObservation({ startedAt: now - 60_000, destinationIp: '192.0.2.10' })) },
    ]);
    const traces = (await store.tracePage(allTraces, page)).items;
    expect(traces.map((t) => [t.destinationIp, t.late])).toEqual([
      ['192.0.2.10', false],
      ['203.0.113.10', true],
    ]);
    expect((await store.getTrace(traces[1]?.id ?? 0))?.late).toBe(true);
    // Stored while no fold was bound: the tracker's catch-up reads the flag back from the row.
    const raised: IncidentEvent[] = [];
    const tracker = await startIncidentTracker({
      store,
      quietMs: 2 * HOUR,
      now: () => now,
      fold: createIncidentFold({ corroboration: 1, maxWitnessesPerOwner: 2 }),
      raise: (events) => raised.push(...events),
    });
    tracker.stop();
    const of = (prefix: string) =>
      raised.filter((e) => e.incident.destinationPrefix === prefix).map((e) => [e.kind, e.late === true]);
    expect(of('203.0.113.0/24')).toEqual([
      ['incident.opened', true],
      ['incident.closed', true],
    ]);
    expect(of('192.0.2.0/24')).toEqual([['incident.opened', false]]);
  });
});
