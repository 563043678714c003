/**
 * Issue 15, items 5 and 6, end to end on the real coordinator: an operator's correction of a router's place
 * is refused when the stored RTTs rule it out (API and CLI, the numbers in the message); accepted, it is used
 * (the hop's provenance says `operator`) and the recent verdicts through that router are judged again: a
 * probable detour via a router the database put in Shanghai becomes domestic when the operator puts the router
 * in Los Angeles, the RTTs allowing it, and its incident follows; removing the correction brings the detour
 * back into an incident. Corrections set with the CLI on the coordinator's store are re-judged by it too.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PlacementChangeItem } from '../../protocol/location-corrections.ts';
import { greatCircleKm } from '../../server/physics/great-circle.ts';
import { CITIES } from '../helpers/analyze-world.ts';
import { runCli } from '../helpers/run-cli.ts';
import {
  AGENT_LOCATION,
  ackFor,
  DETOUR_OUTPUT,
  resultMessage,
  startTestCoordinator,
  TestClient,
  type TestCoordinator,
} from './coordinator-harness.ts';

const LOS_ANGELES = CITIES.losAngeles;
const MUMBAI = { lat: 19.08, lon: 72.88 };
/** The RTT DETOUR_OUTPUT reports for 198.51.100.7 (its lowest, as printed): light to Shanghai plus 20 ms. */
const ROUTER_RTT = Number((greatCircleKm(AGENT_LOCATION, CITIES.shanghai) / 100 + 20).toFixed(1));
const km = (x: number) => Math.round(x).toLocaleString('en-US');

/** The same detour through another Shanghai router of AS4134: the same cause, so the same incident. */
const SECOND_DETOUR = DETOUR_OUTPUT.replace('198.51.100.7 ', '198.51.100.8 ');

async function send(t: TestCoordinator, client: TestClient, output: string): Promise<number> {
  const result = resultMessage(output);
  client.send(result);
  expect((await client.waitFor(ackFor(result.resultId))).status).toBe('stored');
  const traces = await t.store.listTraces({ limit: 50 });
  return Math.max(...traces.map((tr) => tr.id));
}

async function request(
  t: TestCoordinator,
  method: string,
  path: string,
  body?: unknown,
  key = t.operatorKey,
) {
  const res = await fetch(`${t.coordinator.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function incidents(t: TestCoordinator): Promise<{ id: number; traceCount: number }[]> {
  const res = await fetch(`${t.coordinator.url}/api/v1/incidents`);
  return ((await res.json()) as { incidents: { id: number; traceCount: number }[] }).incidents;
}

async function mapDetours(t: TestCoordinator): Promise<number[]> {
  const res = await fetch(`${t.coordinator.url}/api/v1/map/detours`);
  return ((await res.json()) as { items: { id: number }[] }).items.map((d) => d.id);
}

describe('operator corrections and re-judging on the coordinator', () => {
  let t: TestCoordinator;
  let client: TestClient;
  beforeEach(async () => {
    t = await startTestCoordinator({ corrections: { pollMs: 100 } });
    client = await TestClient.connect(t.coordinator.agentUrl, (await t.token('seattle-1')).token);
  });
  afterEach(async () => {
    client.close();
    await t.close();
  });

  it('refuses a correction the RTTs rule out, through the API and the CLI, with the numbers', async () => {
    const trace = await send(t, client, DETOUR_OUTPUT);
    const radius = km(ROUTER_RTT * 100);
    const away = km(greatCircleKm(AGENT_LOCATION, MUMBAI));
    const expected = `measured ${ROUTER_RTT} ms, so 198.51.100.7 is within ${radius} km of it; 19.08,72.88 is ${away} km away`;

    const refused = await request(t, 'PUT', '/api/v1/locations/198.51.100.7', {
      ...MUMBAI,
      note: 'NOC says Mumbai',
    });
    expect(refused.status).toBe(422);
    const error = refused.body.error as { code: string; message: string };
    expect(error.code).toBe('CORRECTION_REFUTED');
    expect(error.message).toContain(`the seattle-1 agent (trace #${trace}) ${expected}`);

    const cli = await runCli([
      'locations',
      'set',
      '198.51.100.7',
      '19.08,72.88',
      '--note',
      'NOC says Mumbai',
      '--data',
      t.dataDir,
    ]);
    expect(cli.status).toBe(1);
    expect(cli.stderr).toContain('CORRECTION_REFUTED');
    expect(cli.stderr).toContain(expected);
    expect(await t.store.listLocationCorrections()).toEqual([]);

    // Without an operator key: not even looked at.
    expect(
      (await request(t, 'PUT', '/api/v1/locations/198.51.100.7', { ...LOS_ANGELES, note: 'x' }, '')).status,
    ).toBe(401);
  });

  it('uses an accepted correction, judges the detour again as domestic, and the incident follows', async () => {
    const a = await send(t, client, DETOUR_OUTPUT);
    const b = await send(t, client, SECOND_DETOUR);
    const before = await t.store.getTrace(a);
    expect([before?.verdict, before?.confidence]).toEqual(['detour', 'probable']);
    const [incident] = await incidents(t);
    expect(incident?.traceCount).toBe(2);
    expect(await mapDetours(t)).toEqual([b, a]);

    const set = await request(t, 'PUT', '/api/v1/locations/198.51.100.7', {
      ...LOS_ANGELES,
      note: 'our LA PoP, per the NOC',
    });
    expect(set.status).toBe(200);
    const change = set.body as unknown as PlacementChangeItem;
    expect([change.kind, change.state, change.by]).toEqual([
      'set',
      'applied',
      'operator key test-operator (#1)',
    ]);
    expect([change.after?.country, change.after?.lat, change.after?.lon]).toEqual([
      'US',
      LOS_ANGELES.lat,
      LOS_ANGELES.lon,
    ]);
    expect(change.tracesRejudged).toBe(1);
    expect(change.changes).toEqual([
      {
        traceId: a,
        from: { verdict: 'detour', confidence: 'probable', foreignCountries: ['CN'] },
        to: { verdict: 'domestic', confidence: null, foreignCountries: [] },
        leftIncident: incident?.id,
        incident: null,
      },
    ]);

    const after = await t.store.getTrace(a);
    expect(after?.verdict).toBe('domestic');
    const hop = after?.verdictDetail.hops.find((h) => h.ip === '198.51.100.7');
    expect(hop?.placement?.source).toBe('operator');
    expect(hop?.country).toBe('US');
    expect(after?.hops.find((h) => h.ip === '198.51.100.7')?.country).toBe('US');
    expect(await incidents(t)).toEqual([expect.objectContaining({ id: incident?.id, traceCount: 1 })]);
    // The map draws only the detour that is left.
    expect(await mapDetours(t)).toEqual([b]);

    // A new trace through the corrected router is placed by the correction from the start.
    const c = await send(t, client, DETOUR_OUTPUT);
    expect((await t.store.getTrace(c))?.verdict).toBe('domestic');

    // The other router too: nothing is left of the incident.
    const second = await request(t, 'PUT', '/api/v1/locations/198.51.100.8', {
      ...LOS_ANGELES,
      note: 'LA too',
    });
    expect(
      (second.body as unknown as PlacementChangeItem).changes.map((ch) => [ch.traceId, ch.to.verdict]),
    ).toEqual([[b, 'domestic']]);
    expect(await incidents(t)).toEqual([]);

    // Removed again: both traces through .7 are detours again, in an incident of their cause.
    const removed = await request(t, 'DELETE', '/api/v1/locations/198.51.100.7');
    const undone = removed.body as unknown as PlacementChangeItem;
    expect([undone.kind, undone.after, undone.tracesRejudged]).toEqual(['remove', null, 2]);
    expect(undone.changes.map((ch) => [ch.traceId, ch.to.verdict])).toEqual([
      [c, 'detour'],
      [a, 'detour'],
    ]);
    const [back] = await incidents(t);
    expect(back?.traceCount).toBe(2);
    expect(undone.changes.every((ch) => ch.incident === back?.id)).toBe(true);

    // The log, newest first, through the API and the CLI.
    const log = await fetch(`${t.coordinator.url}/api/v1/placement-changes?ip=198.51.100.7`);
    expect(((await log.json()) as { changes: PlacementChangeItem[] }).changes.map((ch) => ch.kind)).toEqual([
      'remove',
      'set',
    ]);
    const cli = await runCli(['locations', 'changes', '198.51.100.7', '--data', t.dataDir]);
    expect(cli.status).toBe(0);
    expect(cli.stdout).toContain(
      `trace #${a}: detour (probable) via CN -> domestic; left incident #${incident?.id}`,
    );
  });

  it('re-judges a correction the CLI stored in the coordinator\u2019s data directory', async () => {
    const a = await send(t, client, DETOUR_OUTPUT);
    const cli = await runCli([
      'locations',
      'set',
      '198.51.100.7',
      `${LOS_ANGELES.lat},${LOS_ANGELES.lon}`,
      '--note',
      'our LA PoP',
      '--data',
      t.dataDir,
    ]);
    expect(cli.status).toBe(0);
    expect(cli.stdout).toContain('re-judging: pending');
    expect(cli.stdout).toMatch(/by local CLI \S+@\S+/);
    const deadline = Date.now() + 10_000;
    let change: { state: string; verdictsChanged: number } | undefined;
    while (Date.now() < deadline) {
      [change] = await t.store.placementChanges({ ip: '198.51.100.7', limit: 1 });
      if (change?.state === 'applied') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(change).toMatchObject({ state: 'applied', verdictsChanged: 1 });
    expect((await t.store.getTrace(a))?.verdict).toBe('domestic');
  });

  it('takes no correction for what is not an address, and none without a note', async () => {
    const bad = await request(t, 'PUT', '/api/v1/locations/not-an-ip', { ...LOS_ANGELES, note: 'x' });
    expect([bad.status, (bad.body.error as { parameter: string }).parameter]).toEqual([400, 'ip']);
    const noNote = await request(t, 'PUT', '/api/v1/locations/198.51.100.7', { ...LOS_ANGELES });
    expect([noNote.status, (noNote.body.error as { parameter: string }).parameter]).toEqual([400, 'note']);
    const gone = await request(t, 'DELETE', '/api/v1/locations/198.51.100.7');
    expect(gone.status).toBe(404);
  });
});
