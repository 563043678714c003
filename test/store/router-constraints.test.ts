/**
 * Issue 15, item 3: per router address the lowest RTT from each agent, kept in the transaction that stores the
 * traces, one row per (address, agent), read back only for agents verified now at the position they are
 * verified at. On both engines.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { LocationStatus } from '../../protocol/history-api.ts';
import type { HopStatus, Verdict } from '../../protocol/verdict.ts';
import type { Store } from '../../server/store/store.ts';
import { hashToken } from '../../server/store/tokens.ts';
import type { ResultRecord } from '../../server/store/trace-store.ts';
import { storeEngines, type TestStore } from '../history/test-store.ts';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const engines = await storeEngines('router constraints');
const ROUTER = '198.51.100.7';
const SEATTLE = { lat: 47.61, lon: -122.33 };
const DENVER = { lat: 39.74, lon: -104.99 };
const DALLAS = { lat: 32.78, lon: -96.8 };

async function agent(store: Store, name: string, at: { lat: number; lon: number }): Promise<string> {
  const token = await store.createToken(name, hashToken(name), new Date(T0).toISOString());
  return (await hello(store, token.id, name, at)).id;
}

function hello(store: Store, tokenId: number, name: string, location: { lat: number; lon: number }) {
  return store.recordHello({
    tokenId,
    name,
    location,
    engines: ['traceroute'],
    limits: { maxConcurrent: 2, maxPerMinute: 30 },
    agentVersion: '0.1.0',
    protocolVersion: 1,
    address: null,
    at: new Date(T0).toISOString(),
  });
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

let results = 0;

/** One agent result: a private first hop, ROUTER at `rttMs` (and +1 ms), the destination after it. */
function result(
  agentId: string,
  position: { lat: number; lon: number },
  rttMs: number,
  options: { startedAt?: number; name?: string; verdict?: Verdict['verdict'] } = {},
): ResultRecord {
  const startedAt = new Date(options.startedAt ?? T0 + ++results * 1000).toISOString();
  const reading = (ttl: number, ip: string, status: HopStatus, rtt: number) => ({
    ttl,
    ip,
    status,
    country: status === 'special' ? null : 'US',
    rttMs: rtt,
    minRttMs: null,
    name: null,
    asn: null,
    org: null,
    city: null,
    lat: null,
    lon: null,
    precision: null,
    database: null,
  });
  return {
    resultId: `r-${process.pid}-${++results}`,
    agentId,
    taskId: null,
    target: '192.0.2.50',
    engine: 'traceroute',
    startedAt,
    durationMs: 1000,
    receivedAt: startedAt,
    output: 'raw',
    error: null,
    traces: [
      {
        origin: 'agent',
        agentId,
        sourcePosition: position,
        pathAsns: [],
        trace: {
          tool: 'traceroute',
          method: 'udp',
          ipVersion: 4,
          source: { address: '10.0.0.2' },
          destination: { address: '192.0.2.50' },
          startedAt,
          hops: [
            { ttl: 1, replies: [{ address: '10.0.0.1', rttMs: 0.3 }] },
            {
              ttl: 2,
              replies: [
                { address: ROUTER, rttMs: rttMs + 1, ...(options.name ? { name: options.name } : {}) },
                { address: ROUTER, rttMs },
                { address: null, rttMs: null },
              ],
            },
            { ttl: 3, replies: [{ address: '192.0.2.50', rttMs: rttMs + 10 }] },
          ],
        },
        verdict: {
          verdict: options.verdict ?? 'domestic',
          confidence: null,
          homeCountry: 'US',
          source: { ip: '10.0.0.2', country: null },
          destination: { ip: '192.0.2.50', country: 'US' },
          countries: ['US'],
          foreignAsns: [],
          foreignHops: [],
          refutedHops: [],
          extraKm: null,
          reason: 'test',
          hops: [
            reading(1, '10.0.0.1', 'special', 0.3),
            reading(2, ROUTER, 'home', rttMs),
            reading(3, '192.0.2.50', 'home', rttMs + 10),
          ],
        },
      },
    ],
  };
}

for (const engine of engines) {
  describe(`${engine.name}: router constraints`, engine.options, () => {
    let env: TestStore;
    afterEach(async () => env?.cleanup());

    it('keeps each agent lowest RTT per address, one row each, and reads only verified agents', async () => {
      env = await engine.open();
      const { store } = env;
      const seattle = await agent(store, 'seattle-1', SEATTLE);
      const denver = await agent(store, 'denver-1', DENVER);
      const liar = await agent(store, 'liar', DALLAS);
      const fresh = await agent(store, 'fresh', DALLAS);
      await setStatus(store, seattle, 'verified');
      await setStatus(store, denver, 'verified');
      await setStatus(store, liar, 'contradicted');

      const seattleRtts = [5, 3.1, 8];
      // Two in one batch (the lower one second), the third alone: the minimum survives both paths.
      await store.writeResults([
        result(seattle, SEATTLE, seattleRtts[0] as number, { name: 'ae1.sea01.example.net' }),
        result(seattle, SEATTLE, seattleRtts[1] as number),
      ]);
      const lowAt = Date.parse((await store.listTraces({ limit: 1 }))[0]?.startedAt ?? '');
      await store.writeResults([result(seattle, SEATTLE, seattleRtts[2] as number)]);
      await store.writeResults([result(denver, DENVER, 12.5), result(liar, DALLAS, 0.4)]);
      await store.writeResults([result(fresh, DALLAS, 0.9)]);
      // An implausible trace measured nothing.
      await store.writeResults([result(denver, DENVER, 0.2, { verdict: 'implausible' })]);

      const got = await store.routerConstraints(ROUTER);
      expect(got).toEqual([
        {
          agentId: seattle,
          agentName: 'seattle-1',
          ...SEATTLE,
          minRttMs: Math.min(...seattleRtts),
          at: lowAt,
        },
        { agentId: denver, agentName: 'denver-1', ...DENVER, minRttMs: 12.5, at: expect.any(Number) },
      ]);
      // One row per (address, agent) however many traces: ROUTER and the destination for 4 agents.
      expect(await env.count('SELECT COUNT(*) FROM router_constraints')).toBe(8);
      expect(await env.count("SELECT COUNT(*) FROM router_constraints WHERE ip = '10.0.0.1'")).toBe(0);
      expect(await store.routerName(ROUTER)).toBe('ae1.sea01.example.net');
      expect(await store.routerName('192.0.2.99')).toBeNull();

      // Verified later: its earlier readings count from then on; contradicted later: they stop counting.
      await setStatus(store, fresh, 'verified');
      await setStatus(store, denver, 'contradicted');
      const batch = await store.routerConstraintsFor([ROUTER, '192.0.2.50', '192.0.2.99']);
      expect([...batch.keys()].sort()).toEqual([ROUTER, '192.0.2.50', '192.0.2.99'].sort());
      expect(batch.get(ROUTER)?.map((c) => [c.agentName, c.minRttMs])).toEqual([
        ['fresh', 0.9],
        ['seattle-1', Math.min(...seattleRtts)],
      ]);
      expect(batch.get('192.0.2.50')?.map((c) => c.minRttMs)).toEqual([10.9, Math.min(...seattleRtts) + 10]);
      expect(batch.get('192.0.2.99')).toEqual([]);
      expect((await store.routerConstraintsFor([])).size).toBe(0);
    });

    it('drops a bound measured from where the agent no longer is, until it measures from there', async () => {
      env = await engine.open();
      const { store } = env;
      const token = await store.createToken('mover', hashToken('mover'), new Date(T0).toISOString());
      const mover = (await hello(store, token.id, 'mover', SEATTLE)).id;
      await setStatus(store, mover, 'verified');
      await store.writeResults([result(mover, SEATTLE, 2)]);
      expect((await store.routerConstraints(ROUTER)).map((c) => c.minRttMs)).toEqual([2]);
      await hello(store, token.id, 'mover', DENVER);
      expect(await store.routerConstraints(ROUTER)).toEqual([]);
      // A higher RTT from the new place replaces the old bound: the old one was measured from elsewhere.
      await store.writeResults([result(mover, DENVER, 20)]);
      expect((await store.routerConstraints(ROUTER)).map((c) => [c.lat, c.lon, c.minRttMs])).toEqual([
        [DENVER.lat, DENVER.lon, 20],
      ]);
      expect(await env.count('SELECT COUNT(*) FROM router_constraints')).toBe(2);
    });
  });
}
