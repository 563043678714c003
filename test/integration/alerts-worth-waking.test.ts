/**
 * Issue 14, item 3, through the real coordinator (server/coordinator.ts as `serve` assembles it, real SQLite,
 * real agents' WebSocket protocol, real webhook receivers on 127.0.0.1, the webhook rules read from a
 * --webhook-config file by serve's own option reader): rules filter by country, ASN and confidence; an
 * incident upgraded to confirmed is announced once; a late result alerts and is marked late (API, CLI,
 * payload); a maintenance window added through the API silences an agent's alerts and the record says so.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryItem, DetourItem } from '../../protocol/history-api.ts';
import type { MaintenanceItem } from '../../protocol/maintenance-api.ts';
import type { AlertPayload } from '../../server/alerts/payload.ts';
import { loadHistoryConfig } from '../../server/history/history-options.ts';
import { greatCircleKm, type LatLon } from '../../server/physics/great-circle.ts';
import { startReceiver } from '../alerts/webhook-receiver.ts';
import { CITIES } from '../helpers/analyze-world.ts';
import { runCli } from '../helpers/run-cli.ts';
import {
  AGENT_LOCATION,
  ackFor,
  getJson,
  postJson,
  resultMessage,
  startTestCoordinator,
  TestClient,
  type TestCoordinator,
  tracerouteOutput,
} from './coordinator-harness.ts';

const SECRET = 'alerts worth waking for';
const HOUR = 3_600_000;

/** The least RTT (ms) of a reply from `at`, seen from the test agents' location. */
const least = (at: LatLon) => greatCircleKm(AGENT_LOCATION, at) / 100;
const ms = (rtt: number) => `${rtt.toFixed(1)} ms`;

/** A classic traceroute (not flow-stable: at best probable) to `target` through one foreign router. */
function probableVia(target: string, router: string, at: LatLon): string {
  const out = least(at) + 20;
  return tracerouteOutput(target, [
    '10.0.0.1  0.4 ms',
    `${router}  ${ms(out)}`,
    '* * *',
    `${target}  ${ms(2 * out)}`,
  ]);
}

/**
 * scamper's Paris traceroute (flow-stable) to San Jose through the Shanghai router, with a return leg slow
 * enough for a path through Shanghai: the RTTs confirm the detour (server/detect/confirmation.ts).
 */
function confirmedViaShanghai(): string {
  const t = { sec: Math.floor(Date.now() / 1000), usec: 0 };
  const hops: [string, number][] = [
    ['10.0.0.1', 0.4],
    ['198.51.100.7', least(CITIES.shanghai) + 12],
    ['192.0.2.50', 2 * least(CITIES.shanghai) + 20],
  ];
  return `${JSON.stringify({
    type: 'trace',
    version: '0.1',
    method: 'icmp-echo-paris',
    src: '10.0.0.2',
    dst: '192.0.2.50',
    stop_reason: 'COMPLETED',
    stop_data: 0,
    start: { ...t, ftime: new Date(t.sec * 1000).toISOString().replace('T', ' ').slice(0, 19) },
    hop_count: hops.length,
    attempts: 3,
    hoplimit: 30,
    firsthop: 1,
    wait: 5,
    wait_probe: 0,
    tos: 0,
    probe_size: 44,
    probe_count: hops.length,
    hops: hops.map(([addr, rtt], i) => ({
      addr,
      probe_ttl: i + 1,
      probe_id: 1,
      probe_size: 44,
      tx: t,
      rtt,
      reply_ttl: 250,
      reply_tos: 0,
      reply_size: 56,
      icmp_type: i === hops.length - 1 ? 0 : 11,
      icmp_code: 0,
    })),
  })}\n`;
}

async function waitUntil<T>(what: string, read: () => Promise<T> | T, ok: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

type Receiver = Awaited<ReturnType<typeof startReceiver>>;
const payloads = (r: Receiver) => r.received.map((x) => JSON.parse(x.body) as AlertPayload);
const seen = (r: Receiver) => payloads(r).map((p) => [p.event, p.incident.id, p.late]);

let t: TestCoordinator;
let dir: string;
const hooks: Record<'cn' | 'de' | 'confirmed' | 'all', Receiver> = {} as never;
let agentA: TestClient & { agentId: string };
let agentB: TestClient & { agentId: string };

async function send(agent: TestClient, message: ReturnType<typeof resultMessage>): Promise<void> {
  agent.send(message);
  const ack = await agent.waitFor(ackFor(message.resultId));
  expect(ack.status).toBe('stored');
}

async function deliveries(): Promise<DeliveryItem[]> {
  const { body } = await getJson(`${t.coordinator.url}/api/v1/alerts/deliveries?limit=200`);
  return (body as { deliveries: DeliveryItem[] }).deliveries.sort((a, b) => a.id - b.id);
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'dw-alerts-'));
  for (const name of ['cn', 'de', 'confirmed', 'all'] as const)
    hooks[name] = await startReceiver(SECRET, [200]);
  const file = path.join(dir, 'hooks.json');
  writeFileSync(
    file,
    JSON.stringify({
      webhooks: [
        { url: hooks.cn.url, rules: [{ countries: ['CN'] }] },
        { url: hooks.de.url, rules: [{ asns: ['AS64502'] }] },
        { url: hooks.confirmed.url, rules: [{ minConfidence: 'confirmed' }] },
        { url: hooks.all.url },
      ],
    }),
  );
  const history = loadHistoryConfig(
    ['--webhook-config', file, '--corroboration', '1', '--late-after', '10m'],
    { DETOURWATCH_WEBHOOK_SECRET: SECRET },
  );
  t = await startTestCoordinator({ history }, { dataDir: path.join(dir, 'data') });
  const ws = t.coordinator.url.replace(/^http/, 'ws');
  agentA = await TestClient.connect(`${ws}/api/v1/agent`, (await t.token('sf-a')).token);
  agentB = await TestClient.connect(`${ws}/api/v1/agent`, (await t.token('sf-b')).token);
});

afterAll(async () => {
  agentA?.close();
  agentB?.close();
  await t?.close();
  for (const r of Object.values(hooks)) await r.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('alerts worth waking for, through the coordinator', () => {
  it('filters by country, ASN and confidence, and announces the upgrade to confirmed once', async () => {
    await send(agentA, resultMessage(probableVia('192.0.2.50', '198.51.100.7', CITIES.shanghai)));
    await send(agentA, resultMessage(probableVia('192.0.2.50', '203.0.113.130', CITIES.frankfurt)));
    const scamper = (m: ReturnType<typeof resultMessage>) => ({
      ...m,
      engine: 'scamper',
      target: '192.0.2.50',
    });
    await send(agentA, scamper(resultMessage(confirmedViaShanghai(), { target: '192.0.2.50' })));
    await send(agentA, scamper(resultMessage(confirmedViaShanghai(), { target: '192.0.2.50' })));

    await waitUntil(
      'four alerts to the rule-less webhook',
      () => hooks.all.received.length,
      (n) => n >= 3,
    );
    // Three events, each decided for each of the four webhooks: twelve records.
    await waitUntil(
      'every delivery recorded',
      deliveries,
      (d) => d.length === 12 && d.every((x) => x.status !== 'pending'),
    );
    const [cn, de] = [seen(hooks.all)[0]?.[1], seen(hooks.all)[1]?.[1]];
    expect(typeof cn).toBe('number');
    expect(de).not.toBe(cn);
    expect(seen(hooks.all)).toEqual([
      ['incident.opened', cn, false],
      ['incident.opened', de, false],
      ['incident.confirmed', cn, false],
    ]);
    expect(seen(hooks.cn)).toEqual([
      ['incident.opened', cn, false],
      ['incident.confirmed', cn, false],
    ]);
    expect(seen(hooks.de)).toEqual([['incident.opened', de, false]]);
    // The confidence rule waited for the confirmed trace: its first alert is the upgrade, only once.
    expect(seen(hooks.confirmed)).toEqual([['incident.confirmed', cn, false]]);
    const upgrade = payloads(hooks.confirmed)[0];
    expect(upgrade?.incident).toMatchObject({
      countries: ['CN'],
      asns: [4134],
      confirmedCount: 1,
      traceCount: 2,
    });
    expect(upgrade?.summary).toContain('detour incident confirmed');
    expect(hooks.confirmed.received[0]?.signatureValid).toBe(true);

    const records = await deliveries();
    const of = (label: string) => records.filter((d) => d.url === label);
    const confirmedLabel = records.find((d) => d.rule === 'rule 1 (confirmed)')?.url ?? '';
    expect(of(confirmedLabel).map((d) => [d.event, d.incidentId, d.status, d.lastError])).toEqual([
      ['incident.opened', cn, 'dropped', 'no rule matched: rule 1 (confirmed): only probable traces'],
      ['incident.opened', de, 'dropped', 'no rule matched: rule 1 (confirmed): only probable traces'],
      ['incident.confirmed', cn, 'delivered', null],
    ]);
    expect(records.filter((d) => d.rule === 'rule 1 (via CN)').map((d) => d.event)).toEqual([
      'incident.opened',
      'incident.confirmed',
    ]);
    expect(records.filter((d) => d.rule === 'rule 1 (via AS64502)').map((d) => d.incidentId)).toEqual([de]);
  });

  it('alerts a late result like any other and marks it late in the payload, the API and the CLI', async () => {
    const before = hooks.all.received.length;
    // Measured three hours ago (an agent that was offline replays its outbox): older than the quiet period.
    const late = {
      ...resultMessage(probableVia('192.0.2.50', '198.51.100.7', CITIES.shanghai)),
      startedAt: new Date(Date.now() - 3 * HOUR).toISOString(),
    };
    await send(agentA, late);
    const got = await waitUntil(
      'the late alerts',
      () => hooks.all.received.length,
      (n) => n >= before + 2,
    );
    expect(got).toBe(before + 2);
    const [opened, closed] = payloads(hooks.all).slice(before);
    expect([opened?.event, opened?.late, closed?.event, closed?.late]).toEqual([
      'incident.opened',
      true,
      'incident.closed',
      true,
    ]);
    expect(opened?.summary).toContain('[late]');
    expect(opened?.incident.firstSeen).toBe(late.startedAt);

    const { body } = await getJson(`${t.coordinator.url}/api/v1/detours?limit=50`);
    const detours = (body as { detours: DetourItem[] }).detours;
    expect(detours.filter((d) => d.late).map((d) => d.startedAt)).toEqual([late.startedAt]);
    expect(detours.filter((d) => !d.late)).toHaveLength(4);
    expect(detours.find((d) => d.late)?.incidentId).toBe(opened?.incident.id);

    const cli = await runCli(['detours', '--since', '1d', '--data', t.dataDir]);
    expect(cli.status).toBe(0);
    const lateLines = cli.stdout.split('\n').filter((l) => / late /.test(l));
    expect(lateLines).toHaveLength(1);
    expect(lateLines[0]).toContain(`#${opened?.incident.id}`);
  });

  it("silences an agent's alerts during its maintenance window and says so in the record", async () => {
    const url = `${t.coordinator.url}/api/v1/maintenance`;
    const request = { agent: 'sf-b', for: '1h', reason: 'VPN maintenance' };
    expect((await postJson(url, request)).status).toBe(401);
    const created = await postJson(url, request, t.operatorKey);
    expect(created.status).toBe(201);
    const window = created.body as MaintenanceItem;
    expect(window).toMatchObject({ agentId: agentB.agentId, agentName: 'sf-b', active: true });
    const listed = await fetch(url, { headers: { authorization: `Bearer ${t.operatorKey}` } });
    expect(((await listed.json()) as { windows: MaintenanceItem[] }).windows.map((w) => w.id)).toEqual([
      window.id,
    ]);
    const cliList = await runCli(['maintenance', 'list', '--data', t.dataDir]);
    expect(cliList.stdout).toContain('VPN maintenance');
    expect(cliList.stdout).toContain('running');

    const sentBefore = Object.values(hooks).map((r) => r.received.length);
    const recordedBefore = (await deliveries()).length;
    // Agent B sees a detour to Washington through Shanghai: a new incident, detected, not announced.
    await send(agentB, resultMessage(probableVia('203.0.113.10', '198.51.100.7', CITIES.shanghai)));
    const records = await waitUntil(
      'the silenced deliveries',
      async () => (await deliveries()).slice(recordedBefore),
      (d) => d.length === 4 && d.every((x) => x.status !== 'pending'),
    );
    const why = `silenced by maintenance window #${window.id} (VPN maintenance)`;
    // `cn` and the rule-less webhook would have taken it; `de` and `confirmed` refuse it by their rules.
    expect(records.map((d) => [d.event, d.status, d.lastError]).sort()).toEqual(
      [
        ['incident.opened', 'dropped', why],
        ['incident.opened', 'dropped', why],
        ['incident.opened', 'dropped', 'no rule matched: rule 1 (confirmed): only probable traces'],
        ['incident.opened', 'dropped', 'no rule matched: rule 1 (via AS64502): via AS4134'],
      ].sort(),
    );
    expect(Object.values(hooks).map((r) => r.received.length)).toEqual(sentBefore);
    // Detection went on: the incident is there, seen by agent B.
    const incident = records[0]?.incidentId ?? 0;
    const { body } = await getJson(`${t.coordinator.url}/api/v1/incidents/${incident}`);
    expect(body).toMatchObject({
      agentId: agentB.agentId,
      destinationPrefix: '203.0.113.0/24',
      state: 'open',
    });

    // Removed, the next incident of agent B is announced again.
    const removed = await fetch(`${url}/${window.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${t.operatorKey}` },
    });
    expect(removed.status).toBe(204);
    await send(agentB, resultMessage(probableVia('203.0.113.10', '203.0.113.130', CITIES.frankfurt)));
    await waitUntil(
      'the alert after the window',
      () => hooks.all.received.length,
      (n) => n > (sentBefore[3] ?? 0),
    );
    expect(payloads(hooks.all).at(-1)).toMatchObject({
      event: 'incident.opened',
      incident: { agentId: agentB.agentId, countries: ['DE'] },
    });
  });
  it('refuses bad maintenance requests with a coded error naming the field, and agents outright', async () => {
    const url = `${t.coordinator.url}/api/v1/maintenance`;
    const cases: [unknown, number, string, string | undefined][] = [
      [{ agent: 'sf-a', for: '1h' }, 400, 'BAD_PARAMETER', 'reason'],
      [{ agent: 'sf-a', until: 'tomorrow', reason: 'r' }, 400, 'BAD_PARAMETER', 'until'],
      [{ target: 'example.com', for: '1h', reason: 'r' }, 400, 'BAD_PARAMETER', 'target'],
      [{ agent: 'sf-a', for: 60, reason: 'r' }, 400, 'BAD_PARAMETER', 'for'],
      [{ agent: 'sf-a', for: '1h', reason: 'r', silence: 'all' }, 400, 'BAD_PARAMETER', 'silence'],
      [{ agent: 'nobody', for: '1h', reason: 'r' }, 400, 'BAD_PARAMETER', 'agent'],
      ['[1]', 400, 'BAD_REQUEST', undefined],
    ];
    for (const [body, status, code, parameter] of cases) {
      const answer = await postJson(url, body, t.operatorKey);
      expect([answer.status, answer.body], JSON.stringify(body)).toEqual([
        status,
        { error: expect.objectContaining({ code, ...(parameter ? { parameter } : {}) }) },
      ]);
    }
    const agentToken = (await t.token('not-an-operator')).token;
    expect((await postJson(url, { agent: 'sf-a', for: '1h', reason: 'r' }, agentToken)).status).toBe(403);
    const unknown = await fetch(`${url}/999999`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${t.operatorKey}` },
    });
    expect(unknown.status).toBe(404);
    const bad = await fetch(`${url}/x1`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${t.operatorKey}` },
    });
    expect([bad.status, ((await bad.json()) as { error: { parameter: string } }).error.parameter]).toEqual([
      400,
      'id',
    ]);
  });
});
