/**
 * Issue 11, item 4: operators steer, the public reads. A real coordinator on 127.0.0.1, real HTTP requests,
 * keys made by the real `token` command.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { CliIo } from '../../cli/io.ts';
import { main } from '../../cli/main.ts';
import { parseCidr } from '../../server/net/client-address.ts';
import { generateToken, hashToken } from '../../server/store/tokens.ts';
import {
  helloMessage,
  isType,
  startTestCoordinator,
  TestClient,
  type TestCoordinator,
} from './coordinator-harness.ts';

async function run(args: string[]): Promise<{ status: number; out: string }> {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (d) => {
    out += d;
  });
  const io: CliIo = { stdin: new PassThrough(), stdout, stderr: new PassThrough(), isTty: false };
  const status = await main(args, io);
  return { status, out };
}

async function request(
  url: string,
  options: { key?: string; method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{
  status: number;
  body: { error?: { code: string } } & Record<string, unknown>;
  headers: Headers;
}> {
  const response = await fetch(url, {
    method: options.method ?? 'GET',
    headers: {
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(options.key === undefined ? {} : { authorization: `Bearer ${options.key}` }),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {}, headers: response.headers };
}

/** Where the test agent says it is: Seattle, to more decimals than anyone should publish. */
const EXACT = { lat: 47.60621, lon: -122.33207 };

describe('keys made by `detourwatch token create`', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'detourwatch-trust-access-'));
  let t: TestCoordinator;
  let operator: string;
  let agentToken: string;

  beforeAll(async () => {
    const created = await run(['token', 'create', '--name', 'ops', '--role', 'operator', '--data', dataDir]);
    expect(created.status).toBe(0);
    operator = created.out.trimEnd().split('\n').pop() ?? '';
    const agent = await run(['token', 'create', '--name', 'sea-1', '--owner', 'alice', '--data', dataDir]);
    expect(agent.status).toBe(0);
    agentToken = agent.out.trimEnd().split('\n').pop() ?? '';
    t = await startTestCoordinator({}, { dataDir });
  });

  afterAll(async () => {
    await t.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('are listed with their roles and owners, never the token', async () => {
    const listed = await run(['token', 'list', '--data', dataDir]);
    expect(listed.out).toMatch(/^1\s+operator\s+ops\s+-\s+\S+\s+-$/m);
    expect(listed.out).toMatch(/^2\s+agent\s+sea-1\s+alice\s+\S+\s+-$/m);
    expect(listed.out).not.toContain(operator);
    expect(listed.out).not.toContain(agentToken);
  });

  it('steer probes only with an operator key: none is 401, an agent token 403', async () => {
    const client = await TestClient.connect(t.coordinator.agentUrl, agentToken, { location: EXACT });
    const url = `${t.coordinator.url}/api/v1/measurements`;
    const body = { agentId: client.agentId, target: '192.0.2.1' };
    const none = await request(url, { method: 'POST', body });
    expect(none.status).toBe(401);
    expect(none.body.error).toMatchObject({ code: 'AUTH_REQUIRED' });
    const unknown = await request(url, { method: 'POST', body, key: generateToken() });
    expect(unknown.status).toBe(401);
    expect(unknown.body.error).toMatchObject({ code: 'AUTH_REQUIRED' });
    const wrongRole = await request(url, { method: 'POST', body, key: agentToken });
    expect(wrongRole.status).toBe(403);
    expect(wrongRole.body.error).toMatchObject({ code: 'FORBIDDEN' });
    // Nothing reached the agent.
    expect(client.messages.filter(isType('task'))).toEqual([]);
    const allowed = await request(url, { method: 'POST', body, key: operator });
    expect(allowed.status).toBe(202);
    await client.waitFor(isType('task'));
    client.close();
    await client.closed;
  });

  it('show the public a rounded position and the owner, and an operator the exact one', async () => {
    const client = await TestClient.connect(t.coordinator.agentUrl, agentToken, { location: EXACT });
    type Listed = { agents: { id: string; location: { lat: number; lon: number }; owner: string | null }[] };
    const mine = (b: unknown) => (b as Listed).agents.find((a) => a.id === client.agentId);
    const pub = await request(`${t.coordinator.url}/api/v1/agents`);
    expect(pub.status).toBe(200);
    expect(mine(pub.body)).toMatchObject({ location: { lat: 47.6, lon: -122.3 }, owner: 'alice' });
    expect(JSON.stringify(pub.body)).not.toContain('47.606');
    const ops = await request(`${t.coordinator.url}/api/v1/agents`, { key: operator });
    expect(mine(ops.body)).toMatchObject({ location: EXACT });
    // An agent token is not an operator key: rounded too.
    const agentView = await request(`${t.coordinator.url}/api/v1/agents`, { key: agentToken });
    expect(mine(agentView.body)?.location).toEqual({ lat: 47.6, lon: -122.3 });
    client.close();
    await client.closed;
  });
});

describe('serve --public-read false', () => {
  let t: TestCoordinator;
  let operator: string;

  beforeAll(async () => {
    t = await startTestCoordinator({ publicRead: false });
    operator = generateToken();
    await t.store.createToken('ops', hashToken(operator), new Date().toISOString(), { role: 'operator' });
  });

  afterAll(async () => {
    await t.close();
  });

  it('closes the API to reads without an operator key, and leaves /healthz open', async () => {
    const { token } = await t.token();
    for (const route of ['/api/v1/agents', '/api/v1/traces', '/api/v1/detours', '/api/v1/map/detours']) {
      const anonymous = await request(`${t.coordinator.url}${route}`);
      expect({ route, status: anonymous.status }).toEqual({ route, status: 401 });
      expect(anonymous.body.error).toMatchObject({ code: 'AUTH_REQUIRED' });
      const agent = await request(`${t.coordinator.url}${route}`, { key: token });
      expect({ route, status: agent.status }).toEqual({ route, status: 403 });
      const ops = await request(`${t.coordinator.url}${route}`, { key: operator });
      expect({ route, status: ops.status }).toEqual({ route, status: 200 });
    }
    expect((await request(`${t.coordinator.url}/healthz`)).status).toBe(200);
  });
});

describe('rate limits', () => {
  it('answer 429 with Retry-After per address, and ignore X-Forwarded-For from an untrusted peer', async () => {
    const t = await startTestCoordinator({
      rateLimits: { read: { ratePerSecond: 0.5, burst: 3 }, write: { ratePerSecond: 0.5, burst: 1 } },
    });
    try {
      const url = `${t.coordinator.url}/api/v1/agents`;
      // Each forged header names a new address: were it believed, every request would get a fresh bucket.
      const statuses: number[] = [];
      let limited: Awaited<ReturnType<typeof request>> | null = null;
      for (let i = 0; i < 4; i++) {
        const r = await request(url, { headers: { 'x-forwarded-for': `198.51.100.${i + 1}` } });
        statuses.push(r.status);
        if (r.status === 429) limited = r;
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect(limited?.body.error).toMatchObject({ code: 'RATE_LIMITED' });
      expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      // Writes have their own, smaller bucket.
      const post = { method: 'POST', body: { agentId: 'ag_x', target: '192.0.2.1' } };
      expect((await request(`${t.coordinator.url}/api/v1/measurements`, post)).status).toBe(401);
      expect((await request(`${t.coordinator.url}/api/v1/measurements`, post)).status).toBe(429);
    } finally {
      await t.close();
    }
  });

  it('count per client behind a trusted proxy (--trust-proxy), by its X-Forwarded-For', async () => {
    const t = await startTestCoordinator({
      trustProxy: [parseCidr('127.0.0.0/8')],
      rateLimits: { read: { ratePerSecond: 0.5, burst: 1 }, write: { ratePerSecond: 0.5, burst: 1 } },
    });
    try {
      const url = `${t.coordinator.url}/api/v1/agents`;
      const from = (address: string) => request(url, { headers: { 'x-forwarded-for': address } });
      expect((await from('198.51.100.1')).status).toBe(200);
      expect((await from('198.51.100.1')).status).toBe(429);
      expect((await from('198.51.100.2')).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});

describe("the agent's address", () => {
  it('is the socket peer, whatever a client outside the trusted range writes in X-Forwarded-For', async () => {
    for (const [trustProxy, expected] of [
      [[], '127.0.0.1'],
      [[parseCidr('127.0.0.0/8')], '198.51.100.77'],
    ] as const) {
      const t = await startTestCoordinator({ trustProxy: [...trustProxy] });
      try {
        const { token } = await t.token();
        const ws = new WebSocket(t.coordinator.agentUrl, {
          headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': '198.51.100.77' },
        });
        await new Promise((resolve, reject) => {
          ws.once('open', resolve);
          ws.once('error', reject);
        });
        const welcomed = new Promise<{ agentId: string }>((resolve) =>
          ws.on('message', (d) => {
            const m = JSON.parse(String(d));
            if (m.type === 'welcome') resolve(m);
          }),
        );
        ws.send(JSON.stringify(helloMessage()));
        const { agentId } = await welcomed;
        expect((await t.store.getAgent(agentId))?.address).toBe(expected);
        ws.close();
      } finally {
        await t.close();
      }
    }
  });
});
