import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../server/store/tokens.ts';
import {
  getJson,
  isType,
  postJson,
  startTestCoordinator,
  TestClient,
  type TestCoordinator,
} from './coordinator-harness.ts';

let t: TestCoordinator;

beforeAll(async () => {
  t = await startTestCoordinator();
});

afterAll(async () => {
  await t.close();
});

describe('GET /healthz', () => {
  it('says ok with the store counts and connected agents', async () => {
    const { token } = await t.token();
    const client = await TestClient.connect(t.coordinator.agentUrl, token);
    const { status, body } = await getJson(`${t.coordinator.url}/healthz`);
    expect(status).toBe(200);
    const agents = await t.store.listAgents();
    expect(body).toMatchObject({
      ok: true,
      agentsConnected: 1,
      counts: { agents: agents.length, agentsConnected: 1 },
    });
    client.close();
    await client.closed;
  });
});

describe('GET /api/v1/agents', () => {
  it('lists name, connection, location, engines and version, and never a token or its hash', async () => {
    const { token } = await t.token('denver-volunteer');
    const client = await TestClient.connect(t.coordinator.agentUrl, token, {
      engines: ['scamper', 'mtr'],
      location: { lat: 39.74, lon: -104.99 },
    });
    const { status, body, text } = await getJson(`${t.coordinator.url}/api/v1/agents`);
    expect(status).toBe(200);
    const listed = (body as { agents: Record<string, unknown>[] }).agents.find(
      (a) => a.id === client.agentId,
    );
    expect(listed).toMatchObject({
      name: 'denver-volunteer',
      connected: true,
      // Rounded to 0.1 degree for the public (issue 11); trust-access.test.ts shows an operator the exact one.
      location: { lat: 39.7, lon: -105 },
      engines: ['scamper', 'mtr'],
      agentVersion: '0.1.0',
      counters: { sessions: 1 },
    });
    expect(typeof listed?.lastSeen).toBe('string');
    expect(text).not.toContain(token);
    expect(text).not.toContain(hashToken(token));
    expect(text).not.toMatch(/"(token|hash)"/);
    client.close();
    await client.closed;
    await expect
      .poll(async () => {
        const again = (await getJson(`${t.coordinator.url}/api/v1/agents`)).body as {
          agents: { id: string; connected: boolean }[];
        };
        return again.agents.find((a) => a.id === client.agentId)?.connected;
      })
      .toBe(false);
  });
});

describe('POST /api/v1/measurements', () => {
  it('sends the task to the connected agent and answers with its id', async () => {
    const { token } = await t.token();
    const client = await TestClient.connect(t.coordinator.agentUrl, token);
    const { status, body } = await postJson(
      `${t.coordinator.url}/api/v1/measurements`,
      { agentId: client.agentId, target: 'Route-Views.Example.NET' },
      t.operatorKey,
    );
    expect(status).toBe(202);
    const task = await client.waitFor(isType('task'));
    expect(body).toEqual({
      taskId: task.taskId,
      agentId: client.agentId,
      target: 'route-views.example.net',
      status: 'sent',
    });
    expect(task.target).toBe('route-views.example.net');
    client.close();
    await client.closed;
  });

  it('refuses bad requests with a JSON error', async () => {
    const { token } = await t.token();
    const client = await TestClient.connect(t.coordinator.agentUrl, token);
    const url = `${t.coordinator.url}/api/v1/measurements`;
    const cases: [unknown, number, Record<string, string>][] = [
      ['{not json', 400, { code: 'BAD_REQUEST' }],
      [[1, 2], 400, { code: 'BAD_REQUEST' }],
      [{ target: '192.0.2.1' }, 400, { code: 'BAD_PARAMETER', parameter: 'agentId' }],
      [{ agentId: client.agentId, target: '-oProxyCommand=x' }, 400, { code: 'TARGET_REFUSED' }],
      [{ agentId: client.agentId, target: '192.0.2.1; rm -rf /' }, 400, { code: 'TARGET_REFUSED' }],
      [{ agentId: client.agentId, target: 42 }, 400, { code: 'BAD_PARAMETER', parameter: 'target' }],
      [{ agentId: 'ag_nobody', target: '192.0.2.1' }, 404, { code: 'NOT_FOUND' }],
    ];
    for (const [body, status, error] of cases) {
      const response = await postJson(url, body, t.operatorKey);
      expect({ body, status: response.status }).toEqual({ body, status });
      expect(response.body).toEqual({ error: { ...error, message: expect.any(String) } });
    }
    expect(client.messages.filter(isType('task'))).toEqual([]);
    client.close();
    await client.closed;
    await expect.poll(() => t.coordinator.hub.isConnected(client.agentId)).toBe(false);
    const gone = await postJson(url, { agentId: client.agentId, target: '192.0.2.1' }, t.operatorKey);
    expect(gone.status).toBe(409);
    expect(gone.body).toMatchObject({ error: { code: 'AGENT_NOT_CONNECTED' } });
  });

  it('refuses an oversized body', async () => {
    const response = await postJson(
      `${t.coordinator.url}/api/v1/measurements`,
      { agentId: 'x'.repeat(20_000), target: 'a' },
      t.operatorKey,
    );
    expect(response.status).toBe(413);
    expect(response.body).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
  });
});

describe('GET /api/v1/traces', () => {
  it('validates limit and id', async () => {
    for (const query of ['limit=0', 'limit=1001', 'limit=abc', 'limit=-1', 'limit=1.5']) {
      const { status, body } = await getJson(`${t.coordinator.url}/api/v1/traces?${query}`);
      expect({ query, status }).toEqual({ query, status: 400 });
      expect(body).toMatchObject({ error: { code: 'BAD_PARAMETER', parameter: 'limit' } });
    }
    const page = await getJson(`${t.coordinator.url}/api/v1/traces?limit=5`);
    expect(page.status).toBe(200);
    // The history's page: every coordinator answers this one shape.
    expect(Object.keys(page.body as object).sort()).toEqual(['nextCursor', 'traces']);
    const badId = await getJson(`${t.coordinator.url}/api/v1/traces/abc`);
    expect(badId.status).toBe(400);
    expect(badId.body).toMatchObject({ error: { code: 'BAD_PARAMETER', parameter: 'id' } });
    const missing = await getJson(`${t.coordinator.url}/api/v1/traces/999999`);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('unknown routes are JSON 404s', async () => {
    const { status, body } = await getJson(`${t.coordinator.url}/api/v1/nothing`);
    expect(status).toBe(404);
    expect(body).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });
});
