/**
 * Issue 15, "a router placed by constraints from three agents": through the real coordinator, three verified
 * agents (Los Angeles, San Francisco, Seattle) trace through a China Telecom router that the database puts in
 * Shanghai; their lowest RTTs are stored as its constraints. A later trace from an unverified agent in
 * Washington reaches the router at an RTT that could come from Shanghai, so on its own it is a detour; with the
 * stored constraints the Shanghai claim is refuted by the Los Angeles agent's RTT, the router is placed at home
 * by constraint and the trace is domestic. GET /api/v1/locations/{ip} shows the claims, the three discs and the
 * decision, and the unverified agent's RTT constrains nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { PlacementClaim } from '../../protocol/annotated.ts';
import type { LocationStatus } from '../../protocol/history-api.ts';
import type { LocationReport } from '../../protocol/locations-api.ts';
import { loadServeOptions } from '../../server/config/serve-config.ts';
import { parseTraces } from '../../server/parse/index.ts';
import { greatCircleKm } from '../../server/physics/great-circle.ts';
import { CITIES } from '../helpers/analyze-world.ts';
import { runCli } from '../helpers/run-cli.ts';
import {
  ackFor,
  getJson,
  postJson,
  resultMessage,
  startTestCoordinator,
  TestClient,
  type TestCoordinator,
  tracerouteOutput,
  worldAnalyzer,
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
/** Light needs this long from Washington to Shanghai and back; the later trace's RTT allows it with room. */
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

describe('router constraints through the coordinator', () => {
  it('places a router by three verified agents RTTs and refutes the database on a trace that could not', {
    timeout: 60_000,
  }, async () => {
    const { history } = loadServeOptions(['--no-schedule'], {});
    const t = await startTestCoordinator({ history: { ...history, vantageCheckMs: 50 } });
    cleanups.push(() => t.close());
    const verified = [];
    for (const v of VERIFIED) verified.push({ ...v, client: await connect(t, v.name, v.at) });
    const washington = await connect(t, 'dc-1', WASHINGTON);
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

    // On its own, the Washington trace is a detour: its RTT cannot rule Shanghai out.
    const later = through(WASHINGTON_RTT);
    const [parsed] = parseTraces(later, 'traceroute');
    if (parsed === undefined) throw new Error('the later trace does not parse');
    expect(worldAnalyzer().analyze(parsed, { ...WASHINGTON, source: 'declared' }).verdict).toBe('detour');

    await send(washington, later);
    const [newest] = await t.store.listTraces({ limit: 1 });
    const stored = await t.store.getTrace(newest?.id ?? -1);
    const verdict = stored?.verdictDetail;
    expect(verdict?.verdict).toBe('domestic');
    const hop = verdict?.hops.find((h) => h.ip === ROUTER);
    expect(hop?.placement?.source).toBe('constraint');
    const la = VERIFIED[0] as (typeof VERIFIED)[number];
    const laKm = Math.round(la.rttMs * KM_PER_MS);
    const refuted = hop?.placement?.rejected.find((r) => r.source === 'database');
    expect(refuted?.country).toBe('CN');
    expect(refuted?.why).toContain(`within ${laKm} km of the la-1 agent by its ${la.rttMs} ms`);
    // Kept as the verdict's evidence: "the database says CN, the RTTs say no".
    expect(verdict?.refutedHops).toContainEqual(
      expect.objectContaining({
        ip: ROUTER,
        claimedCountry: 'CN',
        reason: 'constraint',
        rttMs: la.rttMs,
        maxKm: la.rttMs * KM_PER_MS,
        evidence: `within ${laKm} km of the la-1 agent by its ${la.rttMs} ms`,
      }),
    );

    const { status, body } = await getJson(`${t.coordinator.url}/api/v1/locations/${ROUTER}`);
    expect(status).toBe(200);
    const report = body as LocationReport;
    expect(report.database?.country).toBe('CN');
    expect(report.constraints.map((c) => [c.agentName, c.minRttMs, c.radiusKm, c.lat, c.lon]).sort()).toEqual(
      VERIFIED.map((v) => [v.name, v.rttMs, v.rttMs * KM_PER_MS, v.at.lat, v.at.lon]).sort(),
    );
    expect(report.region.atHome).toBe(true);
    expect(report.region.tightestVantage).toBe('the la-1 agent');
    expect(report.decision.source).toBe('constraint');
    const location = report.decision.location;
    expect(location?.country).toBe('US');
    // The chosen place lies inside every verified agent's disc.
    for (const v of VERIFIED) {
      expect(greatCircleKm(v.at, location as { lat: number; lon: number })).toBeLessThanOrEqual(
        v.rttMs * KM_PER_MS,
      );
    }
    const db = report.decision.claims.find((c: PlacementClaim) => c.source === 'database');
    expect(db?.status).toBe('refuted');
    expect(db?.refutation?.vantage).toBe('the la-1 agent');

    // The command line shows the same, from the coordinator's API and from its store.
    const shown = await runCli(['locations', 'show', ROUTER, '--server', t.coordinator.url]);
    expect(shown.stderr).toBe('');
    expect(shown.status).toBe(0);
    expect(shown.stdout).toContain(`within ${laKm} km of the la-1 agent by its ${la.rttMs} ms`);
    expect(shown.stdout).toMatch(/^decision: +constraint: /m);
    for (const v of VERIFIED) expect(shown.stdout).toContain(`the ${v.name} agent`);
    expect(shown.stdout).not.toContain('the dc-1 agent');
    const local = await runCli(['locations', 'show', ROUTER, '--json', '--data', t.dataDir]);
    expect(local.status).toBe(0);
    const fromStore = JSON.parse(local.stdout) as LocationReport;
    expect(fromStore.constraints.map((c) => c.agentName).sort()).toEqual(VERIFIED.map((v) => v.name).sort());
    expect(fromStore.decision.source).toBe('constraint');
    const refused = await runCli(['locations', 'show', 'nowhere', '--server', t.coordinator.url]);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('is not an IPv4 or IPv6 address');

    const bad = await getJson(`${t.coordinator.url}/api/v1/locations/not-an-address`);
    expect(bad.status).toBe(400);
    const odd = await getJson(`${t.coordinator.url}/api/v1/locations/${ROUTER}?colour=red`);
    expect(odd.status).toBe(400);
  });
});
