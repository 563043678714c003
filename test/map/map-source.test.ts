/**
 * The map's data from the coordinator's store (SQLite), filled by an agent through the real ingest path
 * (parse -> geolocate over test databases -> verdict -> store).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapDetourOf } from '../../server/http/event-encoding.ts';
import { storeMapSource } from '../../server/http/map-source.ts';
import type { MapDataSource } from '../../server/http/routes-map.ts';
import { type MapCoordinator, startMapCoordinator } from '../browser/helpers/map-coordinator.ts';
import {
  NEW_YORK,
  NEW_YORK_VIA_FRANKFURT,
  ROUTER,
  SAN_JOSE,
  SAN_JOSE_TO_LA,
  SAN_JOSE_VIA_JAPAN,
  sanJoseViaChina,
  tracerouteText,
} from '../browser/helpers/map-world.ts';

const HOUR = 3600;
const IMPLAUSIBLE_VIA_JAPAN = tracerouteText(ROUTER.newYork, [
  [ROUTER.sanJose, 0.8],
  [ROUTER.japan, 3_000_000],
  [ROUTER.newYork, 190.4],
]);

describe('storeMapSource', () => {
  let world: MapCoordinator;
  let source: MapDataSource;
  let nyAgentId: string;
  const t0 = Math.floor(Date.parse('2026-03-01T00:00:00Z') / 1000);

  beforeAll(async () => {
    world = await startMapCoordinator();
    const sj = await world.agent('San Jose volunteer', SAN_JOSE);
    const ny = await world.agent('NYC volunteer', NEW_YORK);
    nyAgentId = ny.client.agentId;
    await sj.send([
      { output: sanJoseViaChina(t0), engine: 'scamper', target: ROUTER.washington },
      { output: sanJoseViaChina(t0 + 2 * HOUR), engine: 'scamper', target: ROUTER.washington },
      { output: SAN_JOSE_TO_LA, engine: 'traceroute', target: ROUTER.losAngeles },
      { output: SAN_JOSE_VIA_JAPAN, engine: 'traceroute', target: ROUTER.newYork },
      // Through Japan too, but with a reply later than traceroute waits (issue 19): implausible, never drawn.
      { output: IMPLAUSIBLE_VIA_JAPAN, engine: 'traceroute', target: ROUTER.newYork },
    ]);
    await ny.send([{ output: NEW_YORK_VIA_FRANKFURT, engine: 'traceroute', target: 'chicago.example.com' }]);
    source = storeMapSource(world.test.store);
  });

  afterAll(async () => {
    await world?.close();
  });

  const list = async (q: Parameters<typeof source.listDetours>[0]) => await source.listDetours(q);

  it('lists the detours only, newest first, with their total', async () => {
    const all = await list({ limit: 100 });
    expect(all.total).toBe(4);
    // The implausible trace is stored, but neither listed nor answered as a detour.
    const res = await fetch(`${world.test.coordinator.url}/api/v1/traces?verdict=implausible`);
    const stored = (await res.json()) as { traces: { id: number }[] };
    expect(stored.traces).toHaveLength(1);
    const implausibleId = stored.traces[0]?.id ?? 0;
    expect(all.items.map((d) => d.id)).not.toContain(implausibleId);
    expect(await source.getDetour(implausibleId)).toBeNull();
    const times = all.items.map((d) => Date.parse(d.startedAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(all.items.every((d) => d.countries.length > 1)).toBe(true);
  });

  it('applies each filter with the history API semantics', async () => {
    expect((await list({ limit: 100, country: 'CN' })).total).toBe(2);
    expect((await list({ limit: 100, asn: 3320 })).items.map((d) => d.countries)).toEqual([['US', 'DE']]);
    expect((await list({ limit: 100, confidence: 'confirmed' })).total).toBe(2);
    expect((await list({ limit: 100, agent: nyAgentId })).items.map((d) => d.agent?.name)).toEqual([
      'NYC volunteer',
    ]);
    const since = new Date((t0 + HOUR) * 1000).toISOString();
    const until = new Date((t0 + 2 * HOUR) * 1000).toISOString();
    expect((await list({ limit: 100, country: 'CN', since })).total).toBe(1);
    expect((await list({ limit: 100, country: 'CN', until })).total).toBe(1);
    const one = await list({ limit: 1 });
    expect(one.items).toHaveLength(1);
    expect(one.total).toBe(4);
  });

  it('answers one detour with its hop table, null for anything else', async () => {
    const [first] = (await list({ limit: 1, country: 'DE' })).items;
    const detail = await source.getDetour(first?.id ?? 0);
    expect(detail?.hops.map((h) => h.ip)).toContain(ROUTER.frankfurt);
    expect(await source.getDetour(999_999)).toBeNull();
  });

  it("gives the live stream (GET /api/v1/events) a detour's summary as the list has it, null for others", async () => {
    const detourOf = mapDetourOf(source);
    const [first] = (await list({ limit: 1 })).items;
    expect(first).toBeDefined();
    expect(await detourOf(first?.id ?? 0)).toEqual(first);
    expect(await detourOf(999_999)).toBeNull();
  });
});
