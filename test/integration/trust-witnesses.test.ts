/**
 * Issue 11, "detours need independent witnesses": with the real coordinator (task check on, default
 * --corroboration 2) and a real webhook receiver on 127.0.0.1, one owner's three verified agents reporting the
 * same detour stay a single-witness incident and no alert goes out; an agent of a second owner, from another
 * network, corroborates it, and only then `incident.opened` and `incident.corroborated` are delivered.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { IncidentItem } from '../../protocol/history-api.ts';
import type { AlertPayload } from '../../server/alerts/payload.ts';
import { startReceiver } from '../alerts/webhook-receiver.ts';
import { runCli } from '../helpers/run-cli.ts';
import { AGENT_LOCATION, DETOUR_OUTPUT, getJson } from './coordinator-harness.ts';
import { SECRET, startTrustCoordinator, TaskAgent, type TrustCoordinator, until } from './trust-harness.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function verifiedAgent(
  t: TrustCoordinator,
  name: string,
  owner: string,
  address: string,
): Promise<TaskAgent> {
  const agent = await TaskAgent.connect(t, await t.agentToken(name, owner), address, AGENT_LOCATION);
  cleanups.push(() => agent.close());
  const run = await runCli([
    'agents',
    'verify',
    agent.agentId,
    '--note',
    'visited',
    '--by',
    'test',
    '--data',
    t.dataDir,
  ]);
  expect(run.status, run.stderr).toBe(0);
  await until(`${name} verified`, async () => {
    const { body } = await getJson(`${t.coordinator.url}/api/v1/agents`);
    const item = (body as { agents: { id: string; locationStatus: string }[] }).agents.find(
      (a) => a.id === agent.agentId,
    );
    return item?.locationStatus === 'verified' ? true : undefined;
  });
  return agent;
}

async function incidents(t: TrustCoordinator): Promise<IncidentItem[]> {
  const { body } = await getJson(`${t.coordinator.url}/api/v1/incidents`);
  return (body as { incidents: IncidentItem[] }).incidents;
}

describe('independent witnesses', () => {
  it('keeps one owner`s agents a single witness, and publishes once another owner`s agent saw it', async () => {
    const receiver = await startReceiver(SECRET, [200]);
    cleanups.push(() => receiver.close());
    const t = await startTrustCoordinator({ webhookUrl: receiver.url });
    cleanups.push(() => t.close());

    // Three agents of one owner, each from its own /24.
    const mallory = [];
    for (const n of [11, 12, 13]) mallory.push(await verifiedAgent(t, `m-${n}`, 'mallory', `127.0.${n}.1`));
    for (const agent of mallory) await agent.measure(t, '192.0.2.50', DETOUR_OUTPUT);

    const single = await until('three witnesses', async () => {
      const [i] = await incidents(t);
      return i !== undefined && i.witnessList.length === 3 ? i : undefined;
    });
    expect((await incidents(t)).length).toBe(1);
    expect(single).toMatchObject({ corroborated: false, corroboratedAt: null, traceCount: 3 });
    // At most 2 of one owner per ASN and city count.
    expect(single.witnesses).toBe(2);
    expect(single.witnessList.map((w) => [w.owner, w.addressPrefix, w.locationStatus])).toEqual([
      ['mallory', '127.0.11.0/24', 'verified'],
      ['mallory', '127.0.12.0/24', 'verified'],
      ['mallory', '127.0.13.0/24', 'verified'],
    ]);
    const before = await getJson(`${t.coordinator.url}/api/v1/alerts/deliveries`);
    expect((before.body as { deliveries: unknown[] }).deliveries).toEqual([]);

    const olivia = await verifiedAgent(t, 'o-1', 'olivia', '127.0.21.1');
    await olivia.measure(t, '192.0.2.50', DETOUR_OUTPUT);

    await until('two alerts', async () => (receiver.received.length >= 2 ? true : undefined));
    const alerts = receiver.received.map((r) => JSON.parse(r.body) as AlertPayload);
    expect(receiver.received.every((r) => r.signatureValid)).toBe(true);
    // The first alert anyone got is the opening, sent only once the incident was corroborated.
    expect(alerts.map((a) => [a.event, a.incident.id])).toEqual([
      ['incident.opened', single.id],
      ['incident.corroborated', single.id],
    ]);
    expect(alerts[0]?.incident).toMatchObject({ corroborated: true, witnesses: 3, traceCount: 4 });
    expect(alerts[0]?.incident.witnessList.map((w) => w.owner)).toContain('olivia');
    const [after] = await incidents(t);
    expect(after).toMatchObject({ id: single.id, corroborated: true, witnesses: 3 });
  });
});
