/**
 * Issue 11, "traces from a contradicted vantage never count as detours (kept, marked, and shown as such); an
 * unverified vantage's detours are marked": on both engines, every trace and detour read carries its agent's
 * vantage status as it is now; the map leaves a contradicted vantage's detours out (its list, timeline and
 * live feed) unless the agent filter names that agent; the history's lists keep them, marked.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { LocationStatus } from '../../protocol/history-api.ts';
import { NO_DETOUR_FILTER, NO_TRACE_FILTER } from '../../server/history/filters.ts';
import { mapDetourOf } from '../../server/http/event-encoding.ts';
import { storeMapSource } from '../../server/http/map-source.ts';
import type { Store } from '../../server/store/store.ts';
import { hashToken } from '../../server/store/tokens.ts';
import { detourObservation } from '../history/observation.ts';
import { storeEngines, type TestStore } from '../history/test-store.ts';
import { recordOf } from '../history/trace-records.ts';
import { AGENT_LOCATION } from '../integration/coordinator-harness.ts';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const engines = await storeEngines('vantage marks on traces, detours and the map');
const page = { after: null, limit: 50, now: T0, fingerprint: '' };

async function agent(store: Store, name: string): Promise<string> {
  const token = await store.createToken(name, hashToken(name), new Date(T0).toISOString());
  const a = await store.recordHello({
    tokenId: token.id,
    name,
    location: AGENT_LOCATION,
    engines: ['traceroute'],
    limits: { maxConcurrent: 2, maxPerMinute: 30 },
    agentVersion: '0.1.0',
    protocolVersion: 1,
    address: `198.51.100.${name.length}`,
    at: new Date(T0).toISOString(),
  });
  return a.id;
}

async function setStatus(store: Store, agentId: string, status: LocationStatus): Promise<void> {
  await store.saveVantage({
    agentId,
    status,
    owner: null,
    addressPrefix: null,
    asn: null,
    city: null,
    location: {
      status,
      reason: 'set by the test',
      radiusKm: null,
      evidence: [],
      override: null,
      evaluatedAt: new Date(T0).toISOString(),
    },
    evaluatedAt: T0,
  });
}

for (const engine of engines) {
  describe(`${engine.name}: vantage marks`, engine.options, () => {
    let env: TestStore;
    afterEach(async () => env?.cleanup());

    it('marks traces and detours, keeps contradicted ones listed and off the map unless asked for', async () => {
      env = await engine.open();
      const { store } = env;
      const liar = await agent(store, 'liar');
      const fresh = await agent(store, 'fresh-agent');
      const honest = await agent(store, 'honest-agent');
      await setStatus(store, liar, 'contradicted');
      await setStatus(store, honest, 'verified');
      const at = (i: number) => T0 + i * 60_000;
      await store.writeImported(
        [liar, fresh, honest, null].map((agentId, i) =>
          recordOf(detourObservation({ agentId, startedAt: at(i), destinationIp: '203.0.113.10' })),
        ),
      );
      const expected = new Map<string | null, LocationStatus | null>([
        [liar, 'contradicted'],
        [fresh, 'unverified'],
        [honest, 'verified'],
        [null, null],
      ]);

      const traces = (await store.tracePage(NO_TRACE_FILTER, page)).items;
      expect(traces).toHaveLength(4);
      for (const t of traces) expect([t.agentId, t.vantage]).toEqual([t.agentId, expected.get(t.agentId)]);
      const detours = (await store.detourPage(NO_DETOUR_FILTER, page)).items;
      expect(detours.map((d) => [d.agentId, d.vantage])).toEqual(
        detours.map((d) => [d.agentId, expected.get(d.agentId)]),
      );
      expect(detours).toHaveLength(4);
      const first = traces[0];
      expect((await store.traceDetail(first?.id ?? 0))?.vantage).toBe(expected.get(first?.agentId ?? null));

      const mapFilter = { ...NO_DETOUR_FILTER, agent: null, incident: null };
      const onMap = await store.mapDetours(mapFilter, 50);
      expect(onMap.total).toBe(3);
      expect(onMap.detours.map((d) => d.agentId).sort()).toEqual(
        [fresh, honest, null].sort() as (string | null)[],
      );
      expect(onMap.detours.find((d) => d.agentId === fresh)?.vantage).toBe('unverified');
      const timeline = await store.mapTimeline(mapFilter, 3_600_000);
      expect(timeline.reduce((n, b) => n + b.count, 0)).toBe(3);

      const asked = await store.mapDetours({ ...mapFilter, agent: 'liar' }, 50);
      expect(asked.detours.map((d) => [d.agentId, d.vantage])).toEqual([[liar, 'contradicted']]);
      const one = await store.mapDetour(asked.detours[0]?.id ?? 0);
      expect(one?.vantage).toBe('contradicted');
      // The live stream (GET /api/v1/events) leaves it off the map too; the others' detours it shows.
      const detourOf = mapDetourOf(storeMapSource(store));
      expect(await detourOf(one?.id ?? 0)).toBeNull();
      const shown = await Promise.all(onMap.detours.map((d) => detourOf(d.id)));
      expect(shown.map((d) => d?.id)).toEqual(onMap.detours.map((d) => d.id));
    });
  });
}
