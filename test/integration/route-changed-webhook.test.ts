/**
 * Issue 14 item 4, the opt-in `route.changed` webhook, through the coordinator as `serve` assembles it (real
 * SQLite, the agents' WebSocket protocol, webhook receivers on 127.0.0.1, the webhooks read from a
 * --webhook-config file by serve's option reader): a pair's AS path changes (a domestic trace, then one through
 * AS4134), the webhook that lists `route.changed` gets one signed `route.changed` with the change as the API
 * shows it, the webhook that does not gets none, and a maintenance window of another agent silences its change
 * (recorded as dropped, saying why).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DeliveryItem, INCIDENT_EVENT_KINDS, type RouteChangeItem } from '../../protocol/history-api.ts';
import type { RouteChangePayload } from '../../server/alerts/route-change-payload.ts';
import { loadHistoryConfig } from '../../server/history/history-options.ts';
import { startReceiver } from '../alerts/webhook-receiver.ts';
import {
  ackFor,
  DETOUR_OUTPUT,
  DOMESTIC_OUTPUT,
  getJson,
  resultMessage,
  startTestCoordinator,
  TestClient,
  type TestCoordinator,
} from './coordinator-harness.ts';

const SECRET = 'route changes secret';
const HOUR = 3_600_000;

type Receiver = Awaited<ReturnType<typeof startReceiver>>;
const routeChanges = (r: Receiver) =>
  r.received
    .filter((x) => x.headers['x-detourwatch-event'] === 'route.changed')
    .map((x) => ({ ...x, payload: JSON.parse(x.body) as RouteChangePayload }));

async function waitUntil<T>(what: string, read: () => Promise<T> | T, ok: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

let t: TestCoordinator;
let dir: string;
let optedIn: Receiver;
let notOptedIn: Receiver;
let agentA: TestClient & { agentId: string };
let agentB: TestClient & { agentId: string };

async function send(agent: TestClient, output: string): Promise<void> {
  const message = resultMessage(output);
  agent.send(message);
  const ack = await agent.waitFor(ackFor(message.resultId));
  expect(ack.status).toBe('stored');
  // The next trace starts later: baselines order a pair's traces by their start.
  await new Promise((r) => setTimeout(r, 5));
}

async function deliveries(): Promise<DeliveryItem[]> {
  const { body } = await getJson(`${t.coordinator.url}/api/v1/alerts/deliveries?limit=200`);
  return (body as { deliveries: DeliveryItem[] }).deliveries.sort((a, b) => a.id - b.id);
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'dw-route-changed-'));
  optedIn = await startReceiver(SECRET, [200]);
  notOptedIn = await startReceiver(SECRET, [200]);
  const file = path.join(dir, 'hooks.json');
  writeFileSync(
    file,
    JSON.stringify({
      webhooks: [
        { url: optedIn.url, events: [...INCIDENT_EVENT_KINDS, 'route.changed'] },
        { url: notOptedIn.url },
      ],
    }),
  );
  const history = loadHistoryConfig(['--webhook-config', file, '--corroboration', '1'], {
    DETOURWATCH_WEBHOOK_SECRET: SECRET,
  });
  t = await startTestCoordinator({ history }, { dataDir: path.join(dir, 'data') });
  const ws = `${t.coordinator.url.replace(/^http/, 'ws')}/api/v1/agent`;
  agentA = await TestClient.connect(ws, (await t.token('route-a')).token);
  agentB = await TestClient.connect(ws, (await t.token('route-b')).token);
});

afterAll(async () => {
  agentA?.close();
  agentB?.close();
  await t?.close();
  await optedIn?.close();
  await notOptedIn?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('route.changed webhooks (opt-in)', () => {
  it('announces a change of AS path to the webhook that lists route.changed only, once, signed', async () => {
    await send(agentA, DOMESTIC_OUTPUT);
    await send(agentA, DETOUR_OUTPUT);
    const { body } = await getJson(
      `${t.coordinator.url}/api/v1/route-changes?agent=${encodeURIComponent(agentA.agentId)}`,
    );
    const recorded = (body as { routeChanges: RouteChangeItem[] }).routeChanges;
    expect(recorded).toHaveLength(1);
    const change = recorded[0] as RouteChangeItem;
    expect(change.after.asns).toContain(4134);
    expect(change.before.asns).not.toContain(4134);

    await waitUntil(
      'the route.changed alert',
      () => routeChanges(optedIn).length,
      (n) => n >= 1,
    );
    // The incident the detour opened reaches both webhooks: by then every route change was decided too.
    await waitUntil(
      'the incident alerts',
      () => notOptedIn.received.length,
      (n) => n >= 1,
    );
    await t.coordinator.history.idle();
    const got = routeChanges(optedIn);
    expect(got).toHaveLength(1);
    expect(got[0]?.signatureValid).toBe(true);
    expect(got[0]?.payload).toMatchObject({ event: 'route.changed', routeChange: change });
    expect(got[0]?.payload.summary).toContain('[left home]');
    expect(got[0]?.headers['x-detourwatch-delivery']).toBe(String(got[0]?.payload.deliveryId));
    expect(routeChanges(notOptedIn)).toEqual([]);
    expect(notOptedIn.received.length).toBeGreaterThan(0);

    const records = (await deliveries()).filter((d) => d.event === 'route.changed');
    expect(records.map((d) => [d.id, d.status, d.incidentId])).toEqual([
      [got[0]?.payload.deliveryId, 'delivered', null],
    ]);
  });

  it("silences an agent's route change during its maintenance window, and records why", async () => {
    const now = Date.now();
    const w = await t.store.addMaintenanceWindow({
      agentId: agentB.agentId,
      target: null,
      startsAt: now - HOUR,
      endsAt: now + HOUR,
      reason: 'router swap',
      createdAt: now,
    });
    const before = routeChanges(optedIn).length;
    await send(agentB, DOMESTIC_OUTPUT);
    await send(agentB, DETOUR_OUTPUT);
    const records = await waitUntil(
      "the silenced change's record",
      async () => (await deliveries()).filter((d) => d.event === 'route.changed'),
      (d) => d.length === 2,
    );
    await t.coordinator.history.idle();
    expect(records[1]).toMatchObject({
      status: 'dropped',
      attempts: 0,
      lastError: `silenced by maintenance window #${w.id} (router swap)`,
    });
    expect(routeChanges(optedIn)).toHaveLength(before);
  });
});
