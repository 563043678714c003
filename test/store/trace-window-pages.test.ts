/**
 * Issue 17: SQLite pages traces of a time window from the newest ids first (server/store/sqlite/history.ts,
 * RECENT_IDS) and falls back to the (started_at) index when those do not fill the page. Both ways must give
 * exactly the traces of the window, newest id first, page after page: checked against the whole store read
 * without a filter and filtered here, for windows the newest ids fill, windows in the past and empty ones.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NO_TRACE_FILTER, type TraceFilter } from '../../server/history/filters.ts';
import type { Store } from '../../server/store/store.ts';
import { openTestStore } from '../history/test-store.ts';
import { DAY, T0, writeHistory } from './history-fixture.ts';

const page = (limit: number, after: number | null) => ({
  limit,
  after,
  now: T0 + 100 * DAY,
  fingerprint: 'f',
});

async function allIds(store: Store, filter: TraceFilter, limit: number): Promise<number[]> {
  const ids: number[] = [];
  let after: number | null = null;
  for (let guard = 0; guard < 10_000; guard++) {
    const p = await store.tracePage(filter, page(limit, after));
    ids.push(...p.items.map((t) => t.id));
    const last = p.items[p.items.length - 1];
    if (p.nextCursor === null || last === undefined) return ids;
    after = last.id;
  }
  throw new Error('the pages never end');
}

describe('trace pages of a time window (SQLite)', () => {
  let env: ReturnType<typeof openTestStore>;
  beforeEach(() => {
    env = openTestStore();
  });
  afterEach(async () => {
    await env.cleanup();
  });

  it('hold exactly the window, newest id first, whichever way the page was found', {
    timeout: 60_000,
  }, async () => {
    await writeHistory(env.store);
    const all = (await env.store.tracePage(NO_TRACE_FILTER, page(1000, null))).items;
    expect(all.length).toBe((await env.store.historyCounts()).traces);
    const times = all.map((t) => Date.parse(t.startedAt));
    const newest = Math.max(...times);
    const oldest = Math.min(...times);
    const windows: [number | null, number | null][] = [
      [newest - 10 * DAY, null],
      [oldest, oldest + 30 * DAY],
      [T0 + 20 * DAY, T0 + 45 * DAY],
      [null, oldest + 10 * DAY],
      [newest + DAY, null],
    ];
    let nonEmpty = 0;
    for (const [since, until] of windows) {
      const filter = { ...NO_TRACE_FILTER, since, until };
      const expected = all
        .filter((t) => {
          const at = Date.parse(t.startedAt);
          return (since === null || at >= since) && (until === null || at < until);
        })
        .map((t) => t.id)
        .sort((a, b) => b - a);
      if (expected.length > 0) nonEmpty++;
      for (const limit of [1, 7, 50, 1000]) {
        expect(await allIds(env.store, filter, limit)).toEqual(expected);
      }
      const verdictFilter = { ...filter, verdict: 'detour' as const };
      const detours = all.filter((t) => t.verdict === 'detour').map((t) => t.id);
      expect(await allIds(env.store, verdictFilter, 7)).toEqual(
        expected.filter((id) => detours.includes(id)),
      );
    }
    expect(nonEmpty).toBeGreaterThanOrEqual(4);
  });
});
