/**
 * The same writes on SQLite and on PostgreSQL give the same answers: one history (history-fixture.ts) is
 * written to both, then every read of the store is asked of both and must match exactly: the items, their
 * order, the pages' cursors, the stats, the events the writes raised; then retention, with PostgreSQL
 * dropping a month of hops whole, leaves both the same. Only the agent ids differ (random per store), so
 * they are replaced by their names before comparing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../server/store/store.ts';
import { storeEngines, type TestEngine, type TestStore } from '../history/test-store.ts';
import { DAY, normalised, readEverything, T0, type Written, writeHistory } from './history-fixture.ts';

const [sqlite, postgres] = (await storeEngines('SQLite and PostgreSQL answering alike')) as [
  TestEngine,
  TestEngine,
];

describe('SQLite and PostgreSQL', postgres.options, () => {
  let a: TestStore;
  let b: TestStore;
  beforeEach(async () => {
    a = await sqlite.open();
    b = await postgres.open();
  });
  afterEach(async () => {
    await a.cleanup();
    await b.cleanup();
  });

  it('answer every read of the same history alike, pages, cursors and events included', {
    timeout: 120_000,
  }, async () => {
    const written = [await writeHistory(a.store), await writeHistory(b.store)];
    const [wa, wb] = written as [Written, Written];
    expect(wa.events.length).toBeGreaterThan(10);
    expect(normalised(wb.events, wb.agentNames)).toEqual(normalised(wa.events, wa.agentNames));
    expect(wb.outcomes).toEqual(wa.outcomes);
    const [ra, rb] = [await readEverything(a.store), await readEverything(b.store)];
    expect((ra['detourPage.china'] as unknown[]).length).toBeGreaterThan(2);
    for (const key of Object.keys(ra)) {
      expect({ [key]: normalised(rb[key], wb.agentNames) }).toEqual({
        [key]: normalised(ra[key], wa.agentNames),
      });
    }

    // Retention with a cutoff inside the second month: PostgreSQL drops the first month's partition of hops
    // and deletes the rest row by row; the outcome is the same.
    const cutoff = T0 + 40 * DAY;
    const purge = async (store: Store) => {
      const total = { traces: 0, outputs: 0 };
      for (;;) {
        const done = await store.purgeRawData(cutoff, 50, T0 + 100 * DAY);
        total.traces += done.traces;
        total.outputs += done.outputs;
        if (done.traces < 50 && done.outputs < 50) return total;
      }
    };
    const januaryHops = "SELECT COUNT(*) FROM pg_class WHERE relname = 'hops_2026_01'";
    expect(await b.count(januaryHops)).toBe(1);
    expect(await purge(b.store)).toEqual(await purge(a.store));
    expect(await b.count(januaryHops)).toBe(0);
    const ids = Array.from({ length: ((ra.lastTraceId as number) ?? 0) + 1 }, (_, i) => i);
    const details = async (store: Store) => Promise.all(ids.map((id) => store.traceDetail(id)));
    const [da, db] = [await details(a.store), await details(b.store)];
    expect(normalised(db, wb.agentNames)).toEqual(normalised(da, wa.agentNames));
    expect(da.filter((d) => d?.hopsPurged).length).toBeGreaterThan(0);
  });
});
