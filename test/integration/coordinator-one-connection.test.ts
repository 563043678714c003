/**
 * One live connection per agent: a second connection with a connected agent's token is refused (4009) when
 * the first answers a ping, and replaces it when it does not (a half-open connection after a network loss).
 * A real coordinator on 127.0.0.1; hand-written clients, and the real agent process where its reaction counts.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode } from '../../protocol/messages.ts';
import type { Counters } from '../../server/hub/metrics.ts';
import { type AgentProcess, killAgent, spawnAgent } from '../agent/agent-process.ts';
import { waitFor } from '../agent/fake-coordinator.ts';
import { createStandInEngines, type StandInEngines } from '../helpers/stand-in-engines.ts';
import {
  ackFor,
  DOMESTIC_OUTPUT,
  getJson,
  helloMessage,
  isType,
  resultMessage,
  startTestCoordinator,
  TestClient,
  type TestCoordinator,
} from './coordinator-harness.ts';

const PROBE_MS = 1000;

let t: TestCoordinator;
let engines: StandInEngines;
let outbox: string;
let agent: AgentProcess | undefined;

beforeAll(async () => {
  t = await startTestCoordinator({ livenessProbeMs: PROBE_MS });
  engines = await createStandInEngines();
});

afterEach(async () => {
  await killAgent(agent);
  agent = undefined;
  if (outbox) await fs.rm(outbox, { recursive: true, force: true });
});

afterAll(async () => {
  await t.close();
  await engines.remove();
});

/** The hub's counters as the API shows them: global (/healthz), or one agent's (/api/v1/agents). */
async function hubCounters(agentId?: string): Promise<Counters> {
  if (agentId === undefined) {
    return ((await getJson(`${t.coordinator.url}/healthz`)).body as { hub: Counters }).hub;
  }
  const { agents } = (await getJson(`${t.coordinator.url}/api/v1/agents`)).body as {
    agents: { id: string; counters: Counters }[];
  };
  const counters = agents.find((a) => a.id === agentId)?.counters;
  if (!counters) throw new Error(`agent ${agentId} is not listed`);
  return counters;
}

async function startAgent(token: string): Promise<AgentProcess> {
  outbox = await fs.mkdtemp(path.join(os.tmpdir(), 'dw-one-connection-'));
  return spawnAgent(
    ['--server', t.coordinator.url, '--outbox', outbox, '--allow-special-targets', '--engine', 'scamper'],
    { DETOURWATCH_TOKEN: token, ...engines.env },
  );
}

/** A client that has said hello; with autoPong off it never answers a ping, as a half-open peer. */
async function helloFrom(token: string, options: { autoPong?: boolean } = {}): Promise<TestClient> {
  const client = new TestClient(t.coordinator.agentUrl, token, options);
  await client.opened;
  client.send(helloMessage());
  return client;
}

describe('a second connection with the same token', () => {
  it('is refused with 4009 while the first answers a ping; the first keeps working; logged and counted', async () => {
    const { token } = await t.token('live');
    const first = await TestClient.connect(t.coordinator.agentUrl, token);
    const before = await hubCounters();

    const second = await helloFrom(token);
    const closed = await second.closed;
    expect(closed.code).toBe(CloseCode.alreadyConnected);
    expect(closed.reason).toMatch(/^already connected/);
    expect(second.messages).toContainEqual(
      expect.objectContaining({ type: 'error', code: 'ALREADY_CONNECTED' }),
    );
    expect(second.messages.some(isType('welcome'))).toBe(false);

    // The first connection never noticed: still open, still the agent's, still delivering.
    expect(first.ws.readyState).toBe(first.ws.OPEN);
    expect(t.coordinator.hub.isConnected(first.agentId)).toBe(true);
    const result = resultMessage(DOMESTIC_OUTPUT);
    first.send(result);
    expect(await first.waitFor(ackFor(result.resultId))).toMatchObject({ status: 'stored' });
    expect((await t.store.getAgent(first.agentId))?.connected).toBe(true);

    const after = await hubCounters();
    expect(after.alreadyConnected - before.alreadyConnected).toBe(1);
    expect(after.replaced - before.replaced).toBe(0);
    expect((await hubCounters(first.agentId)).alreadyConnected).toBe(1);
    const line = t.logs.find((l) => l.includes('refused a second connection for agent live'));
    expect(line).toMatch(
      /from 127\.0\.0\.1: the connection from 127\.0\.0\.1 answered a ping within 1000 ms/,
    );
    first.close();
    await first.closed;
  });

  it('replaces a first connection that does not answer the ping (half-open)', async () => {
    const { token } = await t.token('half-open');
    const stale = await helloFrom(token, { autoPong: false });
    const welcome = await stale.waitFor(isType('welcome'));
    const before = await hubCounters();

    const fresh = await TestClient.connect(t.coordinator.agentUrl, token);
    expect(fresh.agentId).toBe(welcome.agentId);
    await stale.closed;
    expect(t.coordinator.hub.isConnected(fresh.agentId)).toBe(true);
    const result = resultMessage(DOMESTIC_OUTPUT);
    fresh.send(result);
    expect(await fresh.waitFor(ackFor(result.resultId))).toMatchObject({ status: 'stored' });
    // The old connection's close did not mark the agent disconnected under its new one.
    expect((await t.store.getAgent(fresh.agentId))?.connected).toBe(true);

    const after = await hubCounters();
    expect(after.replaced - before.replaced).toBe(1);
    expect(after.alreadyConnected - before.alreadyConnected).toBe(0);
    expect(
      t.logs.some((l) => l.includes('agent half-open') && l.includes('did not answer a ping within 1000 ms')),
    ).toBe(true);
    fresh.close();
    await fresh.closed;
  });

  it('a real agent keeps its connection when another client comes with its token', async () => {
    const { token } = await t.token('kept');
    const a = await startAgent(token);
    agent = a;
    await waitFor(() => a.lines('connected').length === 1, 'the agent to be welcomed');
    const intruder = await helloFrom(token);
    expect((await intruder.closed).code).toBe(CloseCode.alreadyConnected);
    const agentId = t.coordinator.hub.connected().find((a) => a.name === 'kept')?.agentId;
    expect(agentId).toBeDefined();
    // Still its connection: it takes a task and delivers the result on it.
    const res = await fetch(`${t.coordinator.url}/api/v1/measurements`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.operatorKey}` },
      body: JSON.stringify({ agentId, target: '127.0.0.1' }),
    });
    expect(res.status).toBe(202);
    await waitFor(() => a.lines('result-acked').length === 1, 'the result to be acked');
    expect(a.lines('disconnected')).toEqual([]);
    expect(a.lines('connected')).toHaveLength(1);
  });

  it('a real agent refused with 4009 says so in one line and waits long before it tries again', async () => {
    const { token } = await t.token('second');
    const holder = await TestClient.connect(t.coordinator.agentUrl, token);
    const before = await hubCounters();
    const a = await startAgent(token);
    agent = a;
    await waitFor(() => a.lines('already-connected').length === 1, 'the agent to report the refusal');
    const [line] = a.lines('already-connected');
    expect(line).toMatch(/^\S+ error already-connected reason="already connected: /);
    expect(Number(/retryInSeconds=(\d+)/.exec(line ?? '')?.[1])).toBeGreaterThanOrEqual(30);
    // Not spinning: no second attempt follows (the next is at least 30 s away, the wait here is 1.5 s).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await hubCounters()).connections - before.connections).toBe(1);
    expect(a.lines('connecting')).toHaveLength(1);
    expect(a.lines('disconnected')).toEqual([]);
    expect(a.lines('coordinator-error')).toEqual([]);
    expect(holder.ws.readyState).toBe(holder.ws.OPEN);
    holder.close();
    await holder.closed;
  });
});
