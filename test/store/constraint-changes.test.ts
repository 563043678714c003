/**
 * Issue 15, item 6, the store on both engines: a placement change no correction made (kind `constraints`) is
 * recorded pending, found by the re-judging loop, finished, and read back in the log; the corrections stay as
 * they were.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEngines, storeEngines, type TestStore } from '../history/test-store.ts';

const engines = await storeEngines('placement changes made by constraints');
const AT = Date.now();
const SHANGHAI = { lat: 31.23, lon: 121.47, country: 'CN', region: null, city: 'Shanghai' };
const LOS_ANGELES = { lat: 34.05, lon: -118.24, country: 'US', region: null, city: 'Los Angeles' };

describeEngines(engines, (engine) => {
  let env: TestStore;
  beforeEach(async () => {
    env = await engine.open();
  });
  afterEach(async () => env.cleanup());

  it('records constraint changes pending, in order, and finishes them', async () => {
    const recorded = await env.store.recordPlacementChanges([
      {
        ip: '198.51.100.130',
        kind: 'constraints',
        by: 'constraints',
        at: AT,
        before: SHANGHAI,
        after: LOS_ANGELES,
        note: 'database -> constraint',
      },
      {
        ip: '198.51.100.131',
        kind: 'constraints',
        by: 'constraints',
        at: AT,
        before: SHANGHAI,
        after: null,
        note: null,
      },
    ]);
    expect(recorded.map((c) => [c.ip, c.kind, c.state, c.before, c.after])).toEqual([
      ['198.51.100.130', 'constraints', 'pending', SHANGHAI, LOS_ANGELES],
      ['198.51.100.131', 'constraints', 'pending', SHANGHAI, null],
    ]);
    expect((await env.store.pendingPlacementChanges(10)).map((c) => c.id)).toEqual(recorded.map((c) => c.id));
    const first = recorded[0];
    if (first === undefined) throw new Error('nothing recorded');
    await env.store.finishPlacementChange(first.id, {
      state: 'applied',
      appliedAt: AT + 1,
      windowFrom: AT - 1000,
      tracesRejudged: 0,
      verdictsChanged: 0,
      changes: [],
      error: null,
    });
    const [logged] = await env.store.placementChanges({ ip: '198.51.100.130', limit: 5 });
    expect([logged?.kind, logged?.state, logged?.note]).toEqual([
      'constraints',
      'applied',
      'database -> constraint',
    ]);
    expect((await env.store.pendingPlacementChanges(10)).map((c) => c.ip)).toEqual(['198.51.100.131']);
    expect(await env.store.listLocationCorrections()).toEqual([]);
  });
});
