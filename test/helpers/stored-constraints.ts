/**
 * Router constraints as a coordinator stores them, written through the store's real write path: agents that
 * said hello from a position, with a location status, and one stored result each in which `router` answered at
 * the agent's RTT. For tests of what reads them (analyze --data, locations show, placement).
 */
import type { LocationStatus } from '../../protocol/history-api.ts';
import type { LatLon } from '../../server/physics/great-circle.ts';
import type { Store } from '../../server/store/store.ts';
import { hashToken } from '../../server/store/tokens.ts';
import type { ResultRecord } from '../../server/store/trace-store.ts';

export interface MeasuringAgent {
  name: string;
  at: LatLon;
  rttMs: number;
  status: LocationStatus;
}

let results = 0;

function resultOf(agentId: string, at: LatLon, router: string, rttMs: number): ResultRecord {
  const startedAt = new Date(Date.now() - 60_000 + ++results).toISOString();
  const reading = {
    ttl: 1,
    ip: router,
    status: 'home' as const,
    country: 'US',
    rttMs,
    minRttMs: null,
    name: null,
    asn: null,
    org: null,
    city: null,
    lat: null,
    lon: null,
    precision: null,
    database: null,
  };
  return {
    resultId: `constraint-${process.pid}-${results}`,
    agentId,
    taskId: null,
    target: router,
    engine: 'traceroute',
    startedAt,
    durationMs: 100,
    receivedAt: startedAt,
    output: 'written by test/helpers/stored-constraints.ts',
    error: null,
    traces: [
      {
        origin: 'agent',
        agentId,
        sourcePosition: at,
        pathAsns: [],
        trace: {
          tool: 'traceroute',
          method: 'udp',
          ipVersion: router.includes(':') ? 6 : 4,
          source: { address: null },
          destination: { address: router },
          startedAt,
          hops: [{ ttl: 1, replies: [{ address: router, rttMs }] }],
        },
        verdict: {
          verdict: 'domestic',
          confidence: null,
          homeCountry: 'US',
          source: { ip: null, country: null },
          destination: { ip: router, country: 'US' },
          countries: ['US'],
          foreignAsns: [],
          foreignHops: [],
          refutedHops: [],
          extraKm: null,
          reason: 'written by a test',
          hops: [reading],
        },
      },
    ],
  };
}

/** Each agent (created here) measured `router` at its RTT; returns their ids by name. */
export async function storeRouterRtts(
  store: Store,
  router: string,
  agents: readonly MeasuringAgent[],
): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  const now = new Date().toISOString();
  for (const a of agents) {
    const token = await store.createToken(a.name, hashToken(`${a.name}-${process.pid}`), now);
    const agent = await store.recordHello({
      tokenId: token.id,
      name: a.name,
      location: a.at,
      engines: ['traceroute'],
      limits: { maxConcurrent: 2, maxPerMinute: 30 },
      agentVersion: '0.1.0',
      protocolVersion: 1,
      address: null,
      at: now,
    });
    await store.saveVantage({
      agentId: agent.id,
      status: a.status,
      owner: null,
      addressPrefix: null,
      asn: null,
      city: null,
      location: {
        status: a.status,
        reason: 'set by the test',
        radiusKm: null,
        evidence: [],
        override: null,
        evaluatedAt: now,
      },
      evaluatedAt: Date.now(),
    });
    await store.writeResults([resultOf(agent.id, a.at, router, a.rttMs)]);
    ids.set(a.name, agent.id);
  }
  return ids;
}
