import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_FILE } from '../../server/store/sqlite/open.ts';
import {
  ackFor,
  DETOUR_OUTPUT,
  DOMESTIC_OUTPUT,
  getJson,
  isType,
  resultMessage,
  startTestCoordinator,
  TestClient,
  type TestCoordinator,
} from './coordinator-harness.ts';

const BATCH_MS = 300;
let t: TestCoordinator;

beforeAll(async () => {
  t = await startTestCoordinator({ batchMs: BATCH_MS, maxPendingResults: 4 });
});

afterAll(async () => {
  await t.close();
});

/** What another process reading the database file sees. */
function storedRow(resultId: string): { error: string | null } | undefined {
  const db = new Database(path.join(t.dataDir, DATABASE_FILE), { readonly: true });
  try {
    return db.prepare('SELECT error FROM results WHERE result_id = ?').get(resultId) as
      | { error: string | null }
      | undefined;
  } finally {
    db.close();
  }
}

interface TraceList {
  traces: { id: number; resultId: string; verdict: string; foreignCountries: string[] }[];
}

describe('a result', () => {
  it('is acknowledged only after the batch holding it is committed', async () => {
    const { token } = await t.token();
    const client = await TestClient.connect(t.coordinator.agentUrl, token);
    const result = resultMessage(DETOUR_OUTPUT);
    const sentAt = Date.now();
    client.send(result);
    await new Promise((resolve) => setTimeout(resolve, BATCH_MS / 3));
    // Still collecting: neither acknowledged nor visible.
    expect(client.messages.find(ackFor(result.resultId))).toBeUndefined();
    expect(storedRow(result.resultId)).toBeUndefined();
    const ack = await client.waitFor(ackFor(result.resultId));
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(BATCH_MS - 20);
    expect(ack.status).toBe('stored');
    // At the moment of the ack, the row is durable and visible to another connection.
    expect(storedRow(result.resultId)).toEqual({ error: null });
    client.close();
  });

  it('is stored with its verdict and readable through the API', async () => {
    const { token } = await t.token();
    const client = await TestClient.connect(t.coordinator.agentUrl, token);
    const result = resultMessage(DETOUR_OUTPUT);
    client.send(result);
    await client.waitFor(ackFor(result.resultId));
    const list = (await getJson(`${t.coordinator.url}/api/v1/traces?limit=50`)).body as TraceList;
    const summary = list.traces.find((s) => s.resultId === result.resultId);
    expect(summary).toMatchObject({ verdict: 'detour', foreignCountries: ['CN'] });
    const detail = await getJson(`${t.coordinator.url}/api/v1/traces/${summary?.id}`);
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({
      agentId: client.agentId,
      destinationIp: '192.0.2.50',
      verdict: 'detour',
    });
    client.close();
  });

  it('sent again gets a duplicate ack and stores nothing new', async () => {
    const { token } = await t.token();
    const client = await TestClient.connect(t.coordinator.agentUrl, token);
    const result = resultMessage(DOMESTIC_OUTPUT);
    client.send(result);
    await client.waitFor(ackFor(result.resultId));
    const before = await t.store.counts();
    client.messages.length = 0;
    client.send(result);
    const again = await client.waitFor(ackFor(result.resultId));
    expect(again.status).toBe('duplicate');
    expect(await t.store.counts()).toEqual(before);
    client.close();
  });

  it('twice in one batch: one stored, one duplicate', async () => {
    const { token } = await t.token();
    const client = await TestClient.connect(t.coordinator.agentUrl, token);
    const result = resultMessage(DOMESTIC_OUTPUT);
    client.send(result);
    client.send(result);
    await client.waitFor(
      (m): m is never => client.messages.filter(ackFor(result.resultId)).length === 2 && m.type === 'ack',
    );
    expect(
      client.messages
        .filter(ackFor(result.resultId))
        .map((a) => a.status)
        .sort(),
    ).toEqual(['duplicate', 'stored']);
    client.close();
  });

  it('whose output does not parse is still stored, with the reason, and acknowledged', async () => {
    const { token } = await t.token();
    const client = await TestClient.connect(t.coordinator.agentUrl, token);
    const result = resultMessage('this is not traceroute output');
    client.send(result);
    expect((await client.waitFor(ackFor(result.resultId))).status).toBe('stored');
    expect(storedRow(result.resultId)?.error).toMatch(/cannot parse the traceroute output/);
    client.close();
  });
});

describe('many results', () => {
  it('are written in batches, and an agent far past its pending bound is slowed, not dropped', async () => {
    const { token } = await t.token();
    const client = await TestClient.connect(t.coordinator.agentUrl, token);
    const before = t.coordinator.hub.metrics().global.resultsReceived;
    const results = Array.from({ length: 60 }, () => resultMessage(DOMESTIC_OUTPUT));
    for (const r of results) client.send(r);
    for (const r of results) expect((await client.waitFor(ackFor(r.resultId), 20_000)).status).toBe('stored');
    expect(t.coordinator.hub.metrics().global.resultsReceived - before).toBe(60);
    const health = (await getJson(`${t.coordinator.url}/healthz`)).body as { ingest: { batches: number } };
    expect(health.ingest.batches).toBeLessThan(60);
    client.close();
  });

  it('one agent flooding large junk does not hold up another agent', async () => {
    const flood = await TestClient.connect(t.coordinator.agentUrl, (await t.token('flood')).token);
    const good = await TestClient.connect(t.coordinator.agentUrl, (await t.token('good')).token);
    const junk = Array.from({ length: 20 }, () => resultMessage(`junk ${'x'.repeat(800_000)}`));
    for (const r of junk) flood.send(r);
    const result = resultMessage(DOMESTIC_OUTPUT);
    const sentAt = Date.now();
    good.send(result);
    await good.waitFor(ackFor(result.resultId));
    const goodLatency = Date.now() - sentAt;
    await flood.waitFor(ackFor(junk[junk.length - 1]?.resultId ?? ''), 30_000);
    // The good agent waited for at most a few batches, not for the flood to drain.
    expect(goodLatency).toBeLessThan(BATCH_MS * 6);
    expect(flood.messages.filter(isType('ack'))).toHaveLength(junk.length);
    flood.close();
    good.close();
  });
});
