import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode } from '../../protocol/messages.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import {
  helloMessage,
  isType,
  resultMessage,
  startTestCoordinator,
  TestClient,
  type TestCoordinator,
} from './coordinator-harness.ts';

let t: TestCoordinator;

beforeAll(async () => {
  // serve's hello timeout (10 s): a slow machine's hello is not late here; the timeout has its own test.
  t = await startTestCoordinator();
});

afterAll(async () => {
  await t.close();
});

describe('who may connect', () => {
  it('refuses a connection without a token with authFailed and a reason saying what to do', async () => {
    const client = new TestClient(t.coordinator.agentUrl, null);
    const closed = await client.closed;
    expect(closed.code).toBe(CloseCode.authFailed);
    expect(closed.reason).toMatch(/--token/);
    expect(client.messages).toContainEqual(expect.objectContaining({ type: 'error', code: 'AUTH_FAILED' }));
  });

  it('refuses an unknown token', async () => {
    const client = new TestClient(t.coordinator.agentUrl, 'dwt_not-a-token-anyone-created');
    const closed = await client.closed;
    expect(closed.code).toBe(CloseCode.authFailed);
    expect(closed.reason).toMatch(/unknown or revoked.*token create/);
  });

  it('refuses a revoked token, and disconnects an agent whose token is revoked while connected', async () => {
    const fast = await startTestCoordinator({ heartbeatMs: 100 });
    try {
      const { id, token } = await fast.token();
      const client = await TestClient.connect(fast.coordinator.agentUrl, token);
      await fast.store.revokeToken(id, new Date().toISOString());
      expect((await client.closed).code).toBe(CloseCode.authFailed);
      const again = new TestClient(fast.coordinator.agentUrl, token);
      expect((await again.closed).code).toBe(CloseCode.authFailed);
    } finally {
      await fast.close();
    }
  });

  it('welcomes a valid token and records the agent', async () => {
    const { token } = await t.token('welcome-test');
    const client = await TestClient.connect(t.coordinator.agentUrl, token);
    const welcome = client.messages.find(isType('welcome'));
    expect(welcome).toMatchObject({ name: 'welcome-test', protocolVersion: PROTOCOL_VERSION });
    expect(await t.store.getAgent(client.agentId)).toMatchObject({ name: 'welcome-test', connected: true });
    client.close();
    await client.closed;
  });

  it('survives hostile upgrade requests and keeps serving', async () => {
    const { port } = t.coordinator;
    for (const target of ['//', '//a:b@', '/api/v1/agent']) {
      const answer = await new Promise<string>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => {
          // The last one has no Sec-WebSocket-Key: not a valid handshake.
          socket.write(
            `GET ${target} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n`,
          );
        });
        let text = '';
        socket.on('data', (d) => {
          text += d;
        });
        socket.on('close', () => resolve(text));
        socket.on('error', () => resolve(text));
      });
      expect(answer).toMatch(/^HTTP\/1\.1 4\d\d/);
    }
    expect((await fetch(`${t.coordinator.url}/healthz`)).status).toBe(200);
  });

  it('only the agent path upgrades', async () => {
    const { token } = await t.token();
    const client = new TestClient(t.coordinator.agentUrl.replace('/api/v1/agent', '/elsewhere'), token);
    await expect(client.opened).rejects.toThrow(/404/);
  });
});

describe('the first message', () => {
  it('refuses another protocol version, naming both versions', async () => {
    const { token } = await t.token();
    const client = new TestClient(t.coordinator.agentUrl, token);
    await client.opened;
    client.send(helloMessage({ protocolVersion: PROTOCOL_VERSION + 1 }));
    const closed = await client.closed;
    expect(closed.code).toBe(CloseCode.versionIncompatible);
    expect(closed.reason).toContain(`protocol ${PROTOCOL_VERSION + 1}`);
    expect(closed.reason).toContain(`speaks ${PROTOCOL_VERSION}`);
    expect(client.messages).toContainEqual(
      expect.objectContaining({ type: 'error', code: 'VERSION_INCOMPATIBLE' }),
    );
  });

  it('must be hello', async () => {
    const { token } = await t.token();
    const client = new TestClient(t.coordinator.agentUrl, token);
    await client.opened;
    client.send(resultMessage('x'));
    const closed = await client.closed;
    expect(closed.code).toBe(CloseCode.protocolViolation);
    expect(closed.reason).toMatch(/first message must be hello/);
  });

  it('must come within the hello timeout', async () => {
    const quick = await startTestCoordinator({ helloTimeoutMs: 500 });
    try {
      const { token } = await quick.token();
      const client = new TestClient(quick.coordinator.agentUrl, token);
      await client.opened;
      const closed = await client.closed;
      expect(closed.code).toBe(CloseCode.protocolViolation);
      expect(closed.reason).toMatch(/no hello within 500 ms/);
    } finally {
      await quick.close();
    }
  });
});
