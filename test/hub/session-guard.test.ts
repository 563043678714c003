/**
 * A handler that throws costs its own connection, nothing else: the real coordinator (hub on a real socket on
 * 127.0.0.1, the real SQLite store and ingest), its ingest wrapped through the coordinator's seam so that
 * taking one agent's results throws.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode } from '../../protocol/messages.ts';
import type { Hub } from '../../server/hub/hub.ts';
import type { Store } from '../../server/store/store.ts';
import {
  ackFor,
  DOMESTIC_OUTPUT,
  resultMessage,
  startTestCoordinator,
  TestClient,
  type TestCoordinator,
} from '../integration/coordinator-harness.ts';

let t: TestCoordinator;
let store: Store;
let hub: Hub;
let url: string;
let logs: string[];
/** Agents whose results the ingest refuses by throwing (a bug on the coordinator's side). */
const poisoned = new Set<string>();

beforeAll(async () => {
  t = await startTestCoordinator({
    batchMs: 5,
    wrapIngest: (ingest) => ({
      ...ingest,
      submit(agent, message, reply) {
        if (poisoned.has(agent.id))
          throw new TypeError("Cannot read properties of undefined (reading 'hops')");
        ingest.submit(agent, message, reply);
      },
    }),
  });
  ({ store, logs } = t);
  hub = t.coordinator.hub;
  url = t.coordinator.agentUrl;
});

afterAll(async () => {
  await t?.close();
});

async function token(name: string): Promise<string> {
  return (await t.token(name)).token;
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
