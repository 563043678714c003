/**
 * The map's route grouping reads (issue 21): `mapDetourKeys` lists exactly the detours `mapDetours` does, in
 * the same newest-first order, with their start times and confidence, and `mapDetoursByIds` reads the same
 * records as `mapDetour`, on SQLite and on PostgreSQL alike, over the one history both engines are given.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MapFilter } from '../../server/store/map-store.ts';
import type { Store } from '../../server/store/store.ts';
import { storeEngines, type TestEngine, type TestStore } from '../history/test-store.ts';
import { DAY, normalised, T0, type Written, writeHistory } from './history-fixture.ts';

const [sqlite, postgres] = (await storeEngines('the map keys on SQLite and PostgreSQL')) as [
  TestEngine,
  TestEngine,
];

const any: MapFilter = {
  since: null,
  until: null,
  country: null,
  asn: null,
  agent: null,
  target: null,
  confidence: null,
  incident: null,
};
const FILTERS: Record<string, MapFilter> = {
  all: any,
  china: { ...any, country: 'CN' },
  as4134: { ...any, asn: 4134 },
  probable: { ...any, confidence: 'probable' },
  window: { ...any, since: T0 + 10 * DAY, until: T0 + 50 * DAY },
  agentName: { ...any, agent: 'sfo-volunteer' },
  incident: { ...any, incident: 3 },
};

async function keysAgainstDetours(store: Store): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(FILTERS)) {
    const keys = await store.mapDetourKeys(f);
    const { detours, total } = await store.mapDetours(f, 1_000_000);
    expect({ [name]: keys.ids }).toEqual({ [name]: detours.map((d) => d.id) });
    expect(keys.ids.length).toBe(total);
    expect(keys.startedAt).toEqual(detours.map((d) => Date.parse(d.startedAt)));
    expect(keys.confirmed).toEqual(detours.map((d) => d.confidence === 'confirmed'));
    out[name] = keys;
  }
  const all = await store.mapDetours(any, 1_000_000);
  const ids = all.detours.map((d) => d.id);
  const byIds = await store.mapDetoursByIds([...ids].reverse());
  expect(byIds.map((d) => d.id).sort((a, b) => a - b)).toEqual([...ids].sort((a, b) => a - b));
  for (const d of byIds) expect(d).toEqual(await store.mapDetour(d.id));
  // Ids that are not detours are left out.
  expect(await store.mapDetoursByIds([0, -1, 10_000_000])).toEqual([]);
  out.byIds = byIds.sort((a, b) => a.id - b.id);
  return out;
}

describe('map keys on SQLite and PostgreSQL', postgres.options, () => {
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

  it('list what mapDetours lists, in its order, and read the same records by id', {
    timeout: 120_000,
  }, async () => {
    const [wa, wb] = [await writeHistory(a.store), await writeHistory(b.store)] as [Written, Written];
    const [ra, rb] = [await keysAgainstDetours(a.store), await keysAgainstDetours(b.store)];
    expect((ra.all as { ids: number[] }).ids.length).toBeGreaterThan(10);
    expect((ra.china as { ids: number[] }).ids.length).toBeGreaterThan(1);
    expect(normalised(rb, wb.agentNames)).toEqual(normalised(ra, wa.agentNames));
  });
});
