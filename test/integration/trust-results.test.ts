/**
 * Issue 11, item 1: results answer tasks. A real coordinator on 127.0.0.1 over a real SQLite store, driven by
 * hand-written WebSocket clients (the attacker's tool), tasks issued through the operators' API.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoordinatorMessage } from '../../protocol/messages.ts';
import { greatCircleKm } from '../../server/physics/great-circle.ts';
import { DATABASE_FILE } from '../../server/store/sqlite/open.ts';
import { generateToken, hashToken } from '../../server/store/tokens.ts';
import { CITIES } from '../helpers/analyze-world.ts';
import {
  AGENT_LOCATION,
  ackFor,
  DETOUR_OUTPUT,
  DOMESTIC_OUTPUT,
  isType,
  resultMessage,
  startTestCoordinator,
  TestClient,
  type TestCoordinator,
} from './coordinator-harness.ts';

type Ack = Extract<CoordinatorMessage, { type: 'ack' }>;

/** The target of the harness's results (resultMessage): tasks name it so a result can answer them. */
const TARGET = '192.0.2.50';

/**
 * scamper's JSON (trace, icmp-echo-paris) for a path that never left the US, fabricated to pass through a
 * Shanghai router of AS4134 with RTTs that fit Shanghai: what a hostile volunteer hand-writes.
 */
function fabricatedScamper(): string {
  const least = greatCircleKm(AGENT_LOCATION, CITIES.shanghai) / 100;
  const t = { sec: Math.floor(Date.now() / 1000), usec: 0 };
  const hop = (addr: string, ttl: number, rtt: number, last = false) => ({
    addr,
    probe_ttl: ttl,
    probe_id: 1,
    probe_size: 44,
    tx: t,
    rtt,
    reply_ttl: 250,
    reply_tos: 0,
    reply_size: 56,
    icmp_type: last ? 0 : 11,
    icmp_code: 0,
  });
  const hops = [hop('198.51.100.7', 1, least + 20), hop(TARGET, 2, 2 * least + 40, true)];
  return `${JSON.stringify({
    type: 'trace',
    version: '0.1',
    method: 'icmp-echo-paris',
    src: '192.0.2.10',
    dst: TARGET,
    stop_reason: 'COMPLETED',
    stop_data: 0,
    start: { ...t, ftime: new Date().toISOString().slice(0, 19).replace('T', ' ') },
    hop_count: hops.length,
    attempts: 1,
    hoplimit: 30,
    firsthop: 1,
    wait: 5,
    wait_probe: 0,
    tos: 0,
    probe_size: 44,
    probe_count: hops.length,
    hops,
  })}\n`;
}

function scamperResult(extra: { taskId?: string | null } = {}) {
  return { ...resultMessage(fabricatedScamper(), extra), engine: 'scamper', method: 'icmp-paris' };
}

/** The stored traces of a result id, read as another process would. */
function storedTraces(dataDir: string, resultId: string): { verdict: string; confidence: string | null }[] {
  const db = new Database(path.join(dataDir, DATABASE_FILE), { readonly: true });
  try {
    return db
      .prepare(
        `SELECT t.verdict, t.confidence FROM traces t JOIN results r ON r.id = t.result_id
         WHERE r.result_id = ?`,
      )
      .all(resultId) as { verdict: string; confidence: string | null }[];
  } finally {
    db.close();
  }
}

function storedOutput(dataDir: string, resultId: string): string | undefined {
  const db = new Database(path.join(dataDir, DATABASE_FILE), { readonly: true });
  try {
    const row = db.prepare('SELECT output FROM results WHERE result_id = ?').get(resultId) as
      | { output: string }
      | undefined;
    return row?.output;
  } finally {
    db.close();
  }
}

async function operatorKey(t: TestCoordinator): Promise<string> {
  const key = generateToken();
  await t.store.createToken('operator', hashToken(key), new Date().toISOString(), { role: 'operator' });
  return key;
}

/** Issues a task through the API (as an operator) and waits until the agent has it. */
async function issueTask(t: TestCoordinator, key: string, client: TestClient & { agentId: string }) {
  const response = await fetch(`${t.coordinator.url}/api/v1/measurements`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ agentId: client.agentId, target: TARGET }),
  });
  expect(response.status).toBe(202);
  const { taskId } = (await response.json()) as { taskId: string };
  return client.waitFor(
    (m): m is Extract<CoordinatorMessage, { type: 'task' }> => m.type === 'task' && m.taskId === taskId,
  );
}

async function agentCounters(t: TestCoordinator, agentId: string): Promise<Record<string, number>> {
  const response = await fetch(`${t.coordinator.url}/api/v1/agents`, {
    headers: { authorization: `Bearer ${await operatorKey(t)}` },
  });
  const body = (await response.json()) as { agents: { id: string; counters: Record<string, number> }[] };
  return body.agents.find((a) => a.id === agentId)?.counters ?? {};
}

async function refusal(client: TestClient, resultId: string): Promise<Ack> {
  const ack = await client.waitFor(ackFor(resultId));
  expect(ack.status).toBe('refused');
  return ack;
}

describe('the fabricated-result attack', () => {
  it('is stored as a detour when results need no task (the hole), and refused and counted when they do', async () => {
    // Before: the same message, to a coordinator that took any result.
    const open = await startTestCoordinator({ enforceTasks: false });
    try {
      const client = await TestClient.connect(open.coordinator.agentUrl, (await open.token()).token);
      const attack = scamperResult();
      client.send(attack);
      expect((await client.waitFor(ackFor(attack.resultId))).status).toBe('stored');
      expect(storedTraces(open.dataDir, attack.resultId)).toEqual([
        { verdict: 'detour', confidence: 'confirmed' },
      ]);
      client.close();
    } finally {
      await open.close();
    }

    const t = await startTestCoordinator({ enforceTasks: true });
    try {
      const client = await TestClient.connect(t.coordinator.agentUrl, (await t.token('fresh')).token);
      const attack = scamperResult();
      client.send(attack);
      const ack = await refusal(client, attack.resultId);
      expect(ack).toMatchObject({ code: 'RESULT_UNREQUESTED' });
      // An invented task id is no better.
      const invented = scamperResult({ taskId: 'tk_invented000000000000' });
      client.send(invented);
      expect(await refusal(client, invented.resultId)).toMatchObject({ code: 'RESULT_UNREQUESTED' });
      expect(storedOutput(t.dataDir, attack.resultId)).toBeUndefined();
      expect(storedOutput(t.dataDir, invented.resultId)).toBeUndefined();
      expect((await t.store.counts()).traces).toBe(0);
      expect(await agentCounters(t, client.agentId)).toMatchObject({
        resultsReceived: 2,
        resultsRefused: 2,
        refusedUnrequested: 2,
      });
      expect(t.logs.some((l) => l.includes('RESULT_UNREQUESTED'))).toBe(true);
      client.close();
    } finally {
      await t.close();
    }
  });
});

describe('a result for a task', () => {
  let t: TestCoordinator;
  let key: string;

  beforeAll(async () => {
    t = await startTestCoordinator({ enforceTasks: true });
    key = await operatorKey(t);
  });

  afterAll(async () => {
    await t.close();
  });

  it('is stored when it answers the task issued to that agent, once; a resend of it is a duplicate', async () => {
    const client = await TestClient.connect(t.coordinator.agentUrl, (await t.token()).token);
    const task = await issueTask(t, key, client);
    const answer = resultMessage(DETOUR_OUTPUT, { taskId: task.taskId });
    client.send(answer);
    expect((await client.waitFor(ackFor(answer.resultId))).status).toBe('stored');
    expect(storedTraces(t.dataDir, answer.resultId)).toHaveLength(1);
    // The ack was lost: the outbox sends the same result again.
    client.messages.length = 0;
    client.send(answer);
    expect((await client.waitFor(ackFor(answer.resultId))).status).toBe('duplicate');
    // Another result for the same task is a replay.
    const second = resultMessage(DOMESTIC_OUTPUT, { taskId: task.taskId });
    client.send(second);
    expect(await refusal(client, second.resultId)).toMatchObject({ code: 'RESULT_REPLAYED' });
    // The same result id with other content: refused, and the stored result is unchanged.
    const altered = { ...answer, output: DOMESTIC_OUTPUT };
    client.messages.length = 0;
    client.send(altered);
    expect(await refusal(client, answer.resultId)).toMatchObject({ code: 'RESULT_REPLAYED' });
    expect(storedOutput(t.dataDir, answer.resultId)).toBe(DETOUR_OUTPUT);
    expect(storedOutput(t.dataDir, second.resultId)).toBeUndefined();
    expect(await agentCounters(t, client.agentId)).toMatchObject({ resultsRefused: 2, refusedReplayed: 2 });
    client.close();
  });

  it("is refused when it answers another agent's task", async () => {
    const owner = await TestClient.connect(t.coordinator.agentUrl, (await t.token()).token);
    const thief = await TestClient.connect(t.coordinator.agentUrl, (await t.token()).token);
    const task = await issueTask(t, key, owner);
    const stolen = resultMessage(DETOUR_OUTPUT, { taskId: task.taskId });
    thief.send(stolen);
    expect(await refusal(thief, stolen.resultId)).toMatchObject({ code: 'RESULT_FOREIGN' });
    expect(storedOutput(t.dataDir, stolen.resultId)).toBeUndefined();
    expect(await agentCounters(t, thief.agentId)).toMatchObject({ refusedForeign: 1 });
    // The owner can still answer its own task.
    const real = resultMessage(DOMESTIC_OUTPUT, { taskId: task.taskId });
    owner.send(real);
    expect((await owner.waitFor(ackFor(real.resultId))).status).toBe('stored');
    owner.close();
    thief.close();
  });

  it('is refused when it says it started in the future or before its task was issued', async () => {
    const client = await TestClient.connect(t.coordinator.agentUrl, (await t.token()).token);
    const task = await issueTask(t, key, client);
    const future = {
      ...resultMessage(DETOUR_OUTPUT, { taskId: task.taskId }),
      startedAt: new Date(Date.now() + 3_600_000).toISOString(),
    };
    client.send(future);
    expect(await refusal(client, future.resultId)).toMatchObject({ code: 'RESULT_TIME_INVALID' });
    const early = {
      ...resultMessage(DETOUR_OUTPUT, { taskId: task.taskId }),
      startedAt: new Date(Date.now() - 3_600_000).toISOString(),
    };
    client.send(early);
    expect(await refusal(client, early.resultId)).toMatchObject({ code: 'RESULT_TIME_INVALID' });
    // A trace of another target does not answer the task either.
    const elsewhere = { ...resultMessage(DETOUR_OUTPUT, { taskId: task.taskId }), target: '192.0.2.99' };
    client.send(elsewhere);
    expect(await refusal(client, elsewhere.resultId)).toMatchObject({ code: 'RESULT_TARGET_MISMATCH' });
    for (const r of [future, early, elsewhere]) expect(storedOutput(t.dataDir, r.resultId)).toBeUndefined();
    expect(await agentCounters(t, client.agentId)).toMatchObject({
      resultsRefused: 3,
      refusedTimeInvalid: 2,
      refusedTargetMismatch: 1,
    });
    client.close();
  });
});

describe('the task window', () => {
  it('refuses a first answer after it', async () => {
    const windowMs = 300;
    const t = await startTestCoordinator({ enforceTasks: true, taskWindowMs: windowMs });
    try {
      const key = await operatorKey(t);
      const client = await TestClient.connect(t.coordinator.agentUrl, (await t.token()).token);
      const task = await issueTask(t, key, client);
      const stored = await t.store.getTask(task.taskId);
      const deadline = Date.parse(stored?.deadline ?? '');
      expect(deadline - Date.parse(stored?.issuedAt ?? '')).toBe(windowMs);
      // Wait for the deadline itself, not for a guess at how long that takes.
      while (Date.now() <= deadline + 50) await new Promise((r) => setTimeout(r, 50));
      const late = resultMessage(DETOUR_OUTPUT, { taskId: task.taskId });
      late.startedAt = new Date(Date.parse(stored?.issuedAt ?? '') + 10).toISOString();
      client.send(late);
      expect(await refusal(client, late.resultId)).toMatchObject({ code: 'RESULT_LATE' });
      expect(storedOutput(t.dataDir, late.resultId)).toBeUndefined();
      expect(await agentCounters(t, client.agentId)).toMatchObject({ refusedLate: 1 });
      client.close();
    } finally {
      await t.close();
    }
  });
});

describe('a coordinator restart', () => {
  it('keeps the tasks it issued: their answers are accepted after it', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'detourwatch-trust-restart-'));
    try {
      const first = await startTestCoordinator({ enforceTasks: true }, { dataDir });
      const key = await operatorKey(first);
      const { token } = await first.token('restarting');
      const before = await TestClient.connect(first.coordinator.agentUrl, token);
      const task = await issueTask(first, key, before);
      before.close();
      await before.closed;
      await first.close();

      const second = await startTestCoordinator({ enforceTasks: true }, { dataDir });
      try {
        const after = await TestClient.connect(second.coordinator.agentUrl, token);
        expect(after.agentId).toBe(before.agentId);
        const answer = resultMessage(DETOUR_OUTPUT, { taskId: task.taskId });
        after.send(answer);
        expect((await after.waitFor(ackFor(answer.resultId))).status).toBe('stored');
        expect(storedTraces(dataDir, answer.resultId)).toHaveLength(1);
        after.close();
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('an operator API key on the agents endpoint', () => {
  it('is refused with a coded close: it is not an agent token', async () => {
    const t = await startTestCoordinator({ enforceTasks: true });
    try {
      const client = new TestClient(t.coordinator.agentUrl, await operatorKey(t));
      const closed = await client.closed;
      expect(closed.code).toBe(4006);
      expect(client.messages.find(isType('error'))).toMatchObject({ code: 'FORBIDDEN' });
      expect(t.coordinator.hub.metrics().global.wrongRole).toBe(1);
    } finally {
      await t.close();
    }
  });
});
