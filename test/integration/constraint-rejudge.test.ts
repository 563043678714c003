/**
 * Issue 15, item 6, when the constraints move a placement: through the real coordinator, an unverified agent
 * in Washington traces through a China Telecom router the database puts in Shanghai; nothing constrains the
 * router yet, so the trace is a detour and opens an incident. Then three verified agents (Los Angeles, San
 * Francisco, Seattle) trace through it; their stored lowest RTTs refute Shanghai and place the router at
 * home by constraint, so the placement change is recorded (kind `constraints`) and the earlier trace is
 * judged again: domestic, out of its incident, which goes away with it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { LocationStatus } from '../../protocol/history-api.ts';
import { loadServeOptions } from '../../server/config/serve-config.ts';
import { greatCircleKm } from '../../server/physics/great-circle.ts';
import { CITIES } from '../helpers/analyze-world.ts';
import {
  ackFor,
  getJson,
  postJson,
  resultMessage,
  startTestCoordinator,
  TestClient,
  type TestCoordinator,
  tracerouteOutput,
} from './coordinator-harness.ts';
import { until } from './trust-harness.ts';

/** In the world's 198.51.100.128/25: placed in Shanghai by the database, really in Los Angeles. */
const ROUTER = '198.51.100.130';
const TARGET = '192.0.2.50';
const KM_PER_MS = 100;
const VERIFIED = [
  { name: 'la-1', at: { lat: 34.05, lon: -118.24 }, rttMs: 1.2 },
  { name: 'sf-1', at: { lat: 37.77, lon: -122.42 }, rttMs: 7 },
  { name: 'sea-1', at: { lat: 47.61, lon: -122.33 }, rttMs: 17 },
];
const WASHINGTON = { lat: 38.91, lon: -77.04 };
/** Light needs this long from Washington to Shanghai and back; the trace's RTT allows it with room. */
const WASHINGTON_RTT = Math.ceil(greatCircleKm(WASHINGTON, CITIES.shanghai) / KM_PER_MS) + 20;

const ms = (rtt: number) => `${rtt.toFixed(1)} ms`;
const through = (rttMs: number) =>
  tracerouteOutput(TARGET, [
    '10.0.0.1  0.4 ms  0.3 ms  0.3 ms',
    `${ROUTER}  ${ms(rttMs)}  ${ms(rttMs + 0.4)}  ${ms(rttMs + 0.2)}`,
    `${TARGET}  ${ms(rttMs + 12)}  ${ms(rttMs + 12.1)}  ${ms(rttMs + 12.3)}`,
  ]);

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function connect(t: TestCoordinator, name: string, location: { lat: number; lon: number }) {
  const client = await TestClient.connect(t.coordinator.agentUrl, (await t.token(name)).token, { location });
  cleanups.push(() => client.close());
  return client;
}

async function send(client: TestClient, output: string): Promise<void> {
  const message = resultMessage(output);
  client.send(message);
  const ack = await client.waitFor(ackFor(message.resultId), 10_000);
  expect(ack.status).toBe('stored');
}

async function incidents(t: TestCoordinator): Promise<{ id: number; traceCount: number }[]> {
  const { body } = await getJson(`${t.coordinator.url}/api/v1/incidents`);
  return (body as { incidents: { id: number; traceCount: number }[] }).incidents;
}

describe('re-judging when stored constraints move a placement', () => {
  it('judges a trace stored before the constraints again once they place its router at home', {
    timeout: 60_000,
  }, async () => {
    const { history } = loadServeOptions(['--no-schedule'], {});
    const t = await startTestCoordinator({
      history: { ...history, vantageCheckMs: 50 },
      corrections: { pollMs: 100, constraintDebounceMs: 50 },
    });
    cleanups.push(() => t.close());
    const washington = await connect(t, 'dc-1', WASHINGTON);
    await send(washington, through(WASHINGTON_RTT));
    const [first] = await t.store.listTraces({ limit: 1 });
    const traceId = first?.id ?? -1;
    const before = await t.store.getTrace(traceId);
    expect(before?.verdict).toBe('detour');
    expect(before?.verdictDetail?.foreignHops.map((h) => h.country)).toContain('CN');
    const [incident] = await incidents(t);
    expect(incident?.traceCount).toBe(1);
    expect(await t.store.placementChanges({ ip: ROUTER, limit: 10 })).toEqual([]);

    const verified = [];
    for (const v of VERIFIED) verified.push({ ...v, client: await connect(t, v.name, v.at) });
    for (const v of verified) {
      const answer = await postJson(
        `${t.coordinator.url}/api/v1/agents/${v.client.agentId}/verify`,
        { note: 'site visit' },
        t.operatorKey,
      );
      expect(answer.status).toBe(200);
    }
    await until('three verified agents', async () => {
      const { body } = await getJson(`${t.coordinator.url}/api/v1/agents`);
      const agents = (body as { agents: { locationStatus: LocationStatus }[] }).agents;
      const n = agents.filter((a) => a.locationStatus === 'verified').length;
      return n === VERIFIED.length ? n : undefined;
    });
    for (const v of verified) await send(v.client, through(v.rttMs));

    const after = await until('the earlier trace judged again', async () => {
      const stored = await t.store.getTrace(traceId);
      return stored?.verdict === 'domestic' ? stored : undefined;
    });
    const hop = after.verdictDetail?.hops.find((h) => h.ip === ROUTER);
    expect(hop?.placement?.source).toBe('constraint');
    expect(hop?.placement?.rejected.find((r) => r.source === 'database')?.country).toBe('CN');

    const changes = await until('the change recorded and applied', async () => {
      const list = await t.store.placementChanges({ ip: ROUTER, limit: 10 });
      return list.length > 0 && list.every((c) => c.state === 'applied') ? list : undefined;
    });
    expect(changes.every((c) => c.kind === 'constraints' && c.by === 'constraints')).toBe(true);
    const moved = changes.find((c) => c.changes.some((ch) => ch.traceId === traceId));
    expect(moved?.after?.country).toBe('US');
    expect(moved?.note).toContain('constraint');
    expect(moved?.changes.find((ch) => ch.traceId === traceId)).toEqual(
      expect.objectContaining({
        from: expect.objectContaining({ verdict: 'detour', foreignCountries: ['CN'] }),
        to: expect.objectContaining({ verdict: 'domestic', foreignCountries: [] }),
        leftIncident: incident?.id,
        incident: null,
      }),
    );
    // The change went out on the event stream, as an operator's does.
    const events = await until('the placement.changed event', async () => {
      const page = await t.store.eventsAfter(0, { limit: 100, types: ['placement.changed'] });
      return page.events.length > 0 ? page.events : undefined;
    });
    expect(events.map((e) => (JSON.parse(e.data) as { id: number }).id)).toContain(moved?.id);
    // The incident had only this trace: it is gone.
    expect((await incidents(t)).map((i) => i.id)).not.toContain(incident?.id);
  });
});
