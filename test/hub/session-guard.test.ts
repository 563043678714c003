/**
 * A handler that throws costs its own connection, nothing else: the real hub on a real socket (127.0.0.1),
 * the real SQLite store and the real ingest, wrapped so that taking one agent's results throws.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode } from '../../protocol/messages.ts';
import { AGENT_PATH, createHub, type Hub } from '../../server/hub/hub.ts';
import { createIngest, type Ingest } from '../../server/ingest/ingest.ts';
import { parseTraces } from '../../server/parse/index.ts';
import { openSqliteStore } from '../../server/store/sqlite/open.ts';
import type { Store } from '../../server/store/store.ts';
import { generateToken, hashToken } from '../../server/store/tokens.ts';
import {
  ackFor,
  DOMESTIC_OUTPUT,
  resultMessage,
  TestClient,
  worldAnalyzer,
} from '../integration/coordinator-harness.ts';

let dataDir: string;
let store: Store;
let ingest: Ingest;
let hub: Hub;
let server: http.Server;
let url: string;
const logs: string[] = [];
/** Agents whose results the ingest refuses by throwing (a bug on the coordinator's side). */
const poisoned = new Set<string>();

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'detourwatch-guard-'));
  store = openSqliteStore({ dataDir, create: true });
  ingest = createIngest({ store, parseTraces, analyze: worldAnalyzer().annotateAndJudge, batchMs: 5 });
  const throwing: Ingest = {
    ...ingest,
    submit(agent, message, reply) {
      if (poisoned.has(agent.id)) throw new TypeError("Cannot read properties of undefined (reading 'hops')");
      ingest.submit(agent, message, reply);
    },
  };
  hub = createHub({ store, ingest: throwing, log: (line) => logs.push(line) });
  server = http.createServer((_req, res) => res.writeHead(404).end());
  server.on('upgrade', (request, socket, head) => hub.handleUpgrade(request, socket, head));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}${AGENT_PATH}`;
});

afterAll(async () => {
  await ingest.close();
  await hub.close();
  await new Promise((resolve) => server.close(resolve));
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function token(name: string): Promise<string> {
  const value = generateToken();
  await store.createToken(name, hashToken(value), new Date().toISOString());
  return value;
}

describe('a handler that throws', () => {
  it('closes that session with 1011 and a reason; another agent keeps working, and the first may come back', async () => {
    const victimToken = await token('victim');
    const victim = await TestClient.connect(url, victimToken);
    const other = await TestClient.connect(url, await token('other'));
    poisoned.add(victim.agentId);

    victim.send(resultMessage(DOMESTIC_OUTPUT));
    const closed = await victim.closed;
    expect(closed.code).toBe(CloseCode.internalError);
    expect(closed.reason).toBe('the coordinator failed handling a result message; reconnect later');
    expect(hub.metrics().agent(victim.agentId).internalErrors).toBe(1);
    expect(logs.some((l) => l.includes('handling a result message failed: Cannot read properties'))).toBe(
      true,
    );
    await expect.poll(() => hub.isConnected(victim.agentId)).toBe(false);

    // The other session saw nothing of it: its result is stored and acknowledged.
    const result = resultMessage(DOMESTIC_OUTPUT);
    other.send(result);
    expect(await other.waitFor(ackFor(result.resultId))).toMatchObject({ status: 'stored' });
    expect(hub.isConnected(other.agentId)).toBe(true);
    expect((await store.counts()).results).toBe(1);

    // Once the bug is gone, the agent that lost its connection reconnects and delivers.
    poisoned.delete(victim.agentId);
    const again = await TestClient.connect(url, victimToken);
    const retried = resultMessage(DOMESTIC_OUTPUT);
    again.send(retried);
    expect(await again.waitFor(ackFor(retried.resultId))).toMatchObject({ status: 'stored' });
    expect((await store.counts()).results).toBe(2);
    other.close();
    again.close();
    await Promise.all([other.closed, again.closed]);
  });
});
