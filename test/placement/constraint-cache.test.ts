/**
 * The coordinator's in-memory cache of stored router constraints (server/placement/constraint-cache.ts), over a
 * real SQLite store: a miss answers nothing at once and loads in the background, a refresh after a write is seen
 * at once, stale entries are read again, and it never holds more than its bound.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createConstraintCache } from '../../server/placement/constraint-cache.ts';
import { storeRouterRtts } from '../helpers/stored-constraints.ts';
import { openTestStore } from '../history/test-store.ts';
import { AT } from './places.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('constraint cache', () => {
  it('loads misses in the background, sees refreshes at once, re-reads stale entries, stays bounded', async () => {
    const env = openTestStore();
    cleanups.push(() => env.cleanup());
    await storeRouterRtts(env.store, '198.51.100.1', [
      { name: 'dallas-1', at: AT.dallas, rttMs: 2, status: 'verified' },
      { name: 'liar', at: AT.monterrey, rttMs: 0.1, status: 'contradicted' },
    ]);
    let clock = 1_000;
    const cache = createConstraintCache({
      store: env.store,
      kmPerMs: 100,
      maxEntries: 2,
      maxAgeMs: 60_000,
      now: () => clock,
    });
    expect(cache.discsFor('198.51.100.1')).toEqual([]);
    await new Promise((r) => setTimeout(r, 0));
    await cache.settled();
    const [disc, ...rest] = cache.discsFor('198.51.100.1');
    expect(rest).toEqual([]);
    expect(disc?.vantage).toEqual({ ...AT.dallas, label: 'the dallas-1 agent' });
    expect(disc?.radiusKm).toBe(200);

    await storeRouterRtts(env.store, '198.51.100.2', [
      { name: 'kc-1', at: AT.kansasCity, rttMs: 5, status: 'verified' },
    ]);
    await cache.refresh(['198.51.100.2']);
    expect(cache.discsFor('198.51.100.2').map((d) => d.rttMs)).toEqual([5]);

    // A third address pushes the least recently used one out (asking for it loads it again).
    await cache.refresh(['198.51.100.3']);
    expect(cache.size).toBe(2);
    expect(cache.discsFor('198.51.100.1')).toEqual([]);
    await new Promise((r) => setTimeout(r, 0));
    await cache.settled();
    expect(cache.size).toBe(2);
    expect(cache.discsFor('198.51.100.1').map((d) => d.rttMs)).toEqual([2]);

    // Stale: answered from memory once more, and read again for the next trace.
    await storeRouterRtts(env.store, '198.51.100.1', [
      { name: 'atlanta-1', at: AT.atlanta, rttMs: 9, status: 'verified' },
    ]);
    clock += 120_000;
    expect(cache.discsFor('198.51.100.1').map((d) => d.rttMs)).toEqual([2]);
    await new Promise((r) => setTimeout(r, 0));
    await cache.settled();
    expect(cache.discsFor('198.51.100.1').map((d) => d.rttMs)).toEqual([2, 9]);
  });
});
