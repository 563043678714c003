import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode, MAX_MESSAGE_BYTES } from '../../protocol/messages.ts';
import {
  ackFor,
  DOMESTIC_OUTPUT,
  getJson,
  isType,
  resultMessage,
  startTestCoordinator,
  TestClient,
  type TestCoordinator,
} from './coordinator-harness.ts';

let t: TestCoordinator;

beforeAll(async () => {
  t = await startTestCoordinator({ maxErrors: 3, heartbeatMs: 200 });
});

afterAll(async () => {
  await t.close();
});

interface Health {
  hub: Record<string, number>;
}
interface Agents {
  agents: { id: string; counters: Record<string, number> }[];
}

type Counts = Record<string, number>;

async function counters(agentId: string): Promise<{ global: Counts; agent: Counts }> {
  const health = (await getJson(`${t.coordinator.url}/healthz`)).body as Health;
  const agents = (await getJson(`${t.coordinator.url}/api/v1/agents`)).body as Agents;
  return { global: health.hub, agent: agents.agents.find((a) => a.id === agentId)?.counters ?? {} };
}

describe('malformed messages', () => {
  it('each gets an error reply naming the problem, and is counted for the agent and globally', async () => {
    const { token } = await t.token();
    const client = await TestClient.connect(t.coordinator.agentUrl, token);
    const before = await counters(client.agentId);
    client.send('{not json');
    client.send({ type: 'result', resultId: 'short' });
    client.send(Buffer.from([1, 2, 3]));
    const errors = () => client.messages.filter(isType('error'));
    await client.waitFor((m): m is never => errors().length >= 3 && m.type === 'error');
    expect(errors().map((e) => e.code)).toEqual(['PROTOCOL_INVALID', 'PROTOCOL_INVALID', 'PROTOCOL_INVALID']);
    expect(errors()[0]?.message).toMatch(/not valid JSON/);
    expect(errors()[1]?.message).toMatch(/resultId/);
    expect(errors()[2]?.message).toMatch(/binary/);
    const after = await counters(client.agentId);
    expect(after.agent.malformed).toBe(3);
    expect(Number(after.global.malformed) - Number(before.global.malformed)).toBe(3);
    // The connection survives a few mistakes and still works.
    const result = resultMessage(DOMESTIC_OUTPUT);
    client.send(result);
    await client.waitFor(ackFor(result.resultId));
    client.close();
    await client.closed;
  });

  it('too many close the connection with tooManyErrors', async () => {
    const { token } = await t.token();
    const client = await TestClient.connect(t.coordinator.agentUrl, token);
    for (let i = 0; i < 5; i++) client.send(`garbage ${i}`);
    const closed = await client.closed;
    expect(closed.code).toBe(CloseCode.tooManyErrors);
    expect(closed.reason).toMatch(/too many malformed messages/);
    expect((await counters(client.agentId)).agent.tooManyErrors).toBe(1);
  });
});

describe('oversized messages', () => {
  it('close the connection with 1009 and are counted', async () => {
    const { token } = await t.token();
    const client = await TestClient.connect(t.coordinator.agentUrl, token);
    const before = (await counters(client.agentId)).global.oversized;
    client.send(resultMessage('x'.repeat(MAX_MESSAGE_BYTES + 10)));
    const closed = await client.closed;
    expect(closed.code).toBe(1009);
    const after = await counters(client.agentId);
    expect(Number(after.global.oversized) - Number(before)).toBe(1);
    expect(after.agent.oversized).toBe(1);
  });
});

describe('heartbeat', () => {
  it('terminates an agent that stops answering pings and marks it disconnected', async () => {
    const { token } = await t.token('silent');
    const client = new TestClient(t.coordinator.agentUrl, token, { autoPong: false });
    await client.opened;
    client.send({
      type: 'hello',
      protocolVersion: 1,
      agentVersion: '0.1.0',
      engines: ['mtr'],
      location: null,
      limits: { maxConcurrent: 1, maxPerMinute: 1 },
      pending: 0,
    });
    const welcome = await client.waitFor(isType('welcome'));
    expect(welcome.heartbeatMs).toBe(200);
    const closed = await client.closed;
    expect(closed.code).toBe(1006);
    expect((await counters(welcome.agentId)).agent.heartbeatTimeouts).toBe(1);
    await expect.poll(async () => (await t.store.getAgent(welcome.agentId))?.connected).toBe(false);
  });

  it('keeps an agent that answers', async () => {
    const { token } = await t.token('chatty');
    const client = await TestClient.connect(t.coordinator.agentUrl, token);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(t.coordinator.hub.isConnected(client.agentId)).toBe(true);
    client.close();
    await client.closed;
  });
});
