/**
 * What `route.changed` webhooks (issue 14 item 4) keep in the store, on both engines: route changes read by
 * id after a mark, and a delivery per (change, webhook) created once however many coordinators try, shown in
 * the delivery list with no incident, and left out of the incidents' rescue of abandoned deliveries.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createIncidentFold } from '../../server/incidents/fold.ts';
import { startIncidentTracker } from '../../server/incidents/tracker.ts';
import { detourObservation, domesticObservation } from '../history/observation.ts';
import { describeEngines, storeEngines, type TestStore } from '../history/test-store.ts';
import { recordOf } from '../history/trace-records.ts';

const T0 = Date.parse('2026-05-01T00:00:00Z');
const HOUR = 3_600_000;

const engines = await storeEngines('route-change deliveries');
let env: TestStore;

describeEngines(engines, (engine) => {
  beforeEach(async () => {
    env = await engine.open();
  });
  afterEach(() => env.cleanup());

  it('reads route changes after an id and creates one delivery per change and webhook', async () => {
    const { store } = env;
    expect(await store.lastRouteChangeId()).toBe(0);
    await store.writeImported([
      recordOf(domesticObservation({ startedAt: T0 })),
      recordOf(detourObservation({ startedAt: T0 + HOUR })),
    ]);
    const tracker = await startIncidentTracker({
      store,
      quietMs: 2 * HOUR,
      now: () => T0 + 2 * HOUR,
      fold: createIncidentFold({ corroboration: 1, maxWitnessesPerOwner: 2 }),
      raise: () => {},
    });
    tracker.stop();
    const changes = await store.routeChangesAfter(0, 10);
    expect(changes.map((c) => [c.before.asns, c.after.asns, c.leftHome])).toEqual([
      [[3356, 7018], [3356, 4134, 7018], true],
    ]);
    const id = changes[0]?.id ?? 0;
    expect(await store.lastRouteChangeId()).toBe(id);
    expect(await store.routeChangesAfter(id, 10)).toEqual([]);

    const first = await store.createRouteChangeDelivery(id, 'hook-a', T0);
    expect(first).toEqual(expect.any(Number));
    // Another coordinator saw the same change: the record exists, it does not send it again.
    expect(await store.createRouteChangeDelivery(id, 'hook-a', T0 + 1)).toBeNull();
    const other = await store.createRouteChangeDelivery(id, 'hook-b', T0);
    expect(other).not.toBe(first);
    expect(other).toEqual(expect.any(Number));
    const listed = (await store.deliveryPage({ limit: 10, after: null, now: T0, fingerprint: '' })).items;
    expect(listed.map((d) => [d.event, d.incidentId, d.url, d.status]).sort()).toEqual([
      ['route.changed', null, 'hook-a', 'pending'],
      ['route.changed', null, 'hook-b', 'pending'],
    ]);
    // Never claimed, long ago: still not the incidents' rescue's to send.
    const rescued = await store.claimAbandonedDeliveries({
      by: 'other',
      until: T0 + 10 * HOUR,
      now: T0 + 9 * HOUR,
      unclaimedBefore: T0 + 9 * HOUR,
      labels: ['hook-a', 'hook-b'],
      limit: 10,
    });
    expect(rescued).toEqual([]);
  });
});
