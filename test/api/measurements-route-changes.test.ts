/**
 * Issue 14 through a real coordinator on 127.0.0.1: GET /api/v1/measurements/{taskId} follows a measurement
 * from the operator's request through the agent's answer to its stored trace (the same JSON as
 * GET /api/v1/traces/{id}); GET /api/v1/route-changes pages the route changes the baselines recorded, and
 * GET /api/v1/baselines shows the usual path with its share.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { domesticObservation } from '../history/observation.ts';
import { recordOf } from '../history/trace-records.ts';
import {
  ackFor,
  DOMESTIC_OUTPUT,
  getJson,
  isType,
  postJson,
  resultMessage,
  startTestCoordinator,
  TestClient,
  type TestCoordinator,
} from '../integration/coordinator-harness.ts';

let t: TestCoordinator;
beforeAll(async () => {
  // Results must answer tasks here, as under serve: the measurement's state is the task's.
  t = await startTestCoordinator({ enforceTasks: true });
});
afterAll(async () => {
  await t.close();
});

interface Measurement {
  taskId: string;
  agentId: string;
  target: string;
  state: string;
  resultId: string | null;
  traceId: number | null;
  trace: unknown;
}

describe('GET /api/v1/measurements/{taskId}', () => {
  it('follows a requested measurement until its trace is stored', async () => {
    const { token } = await t.token();
    const client = await TestClient.connect(t.coordinator.agentUrl, token);
    const url = (id: string) => `${t.coordinator.url}/api/v1/measurements/${id}`;
    const posted = await postJson(
      `${t.coordinator.url}/api/v1/measurements`,
      { agentId: client.agentId, target: '192.0.2.50' },
      t.operatorKey,
    );
    expect(posted.status).toBe(202);
    const { taskId } = posted.body as { taskId: string };
    const task = await client.waitFor(isType('task'));
    expect(task.taskId).toBe(taskId);

    // Issued and not answered: sent (whether or not the store has recorded the task yet).
    const sent = await getJson(url(taskId));
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({
      taskId,
      agentId: client.agentId,
      target: '192.0.2.50',
      state: 'sent',
      traceId: null,
      trace: null,
    });

    const result = resultMessage(DOMESTIC_OUTPUT, { taskId, target: task.target });
    client.send(result);
    const ack = await client.waitFor(ackFor(result.resultId), 10_000);
    expect(ack.status).toBe('stored');

    let answer: Measurement | null = null;
    await expect
      .poll(
        async () => {
          answer = (await getJson(url(taskId))).body as Measurement;
          return answer.state;
        },
        { timeout: 10_000 },
      )
      .toBe('stored');
    const stored = answer as unknown as Measurement;
    expect(stored.resultId).toBe(result.resultId);
    expect(stored.traceId).not.toBeNull();
    const trace = await getJson(`${t.coordinator.url}/api/v1/traces/${stored.traceId}`);
    expect(trace.status).toBe(200);
    expect(stored.trace).toEqual(trace.body);
    expect(stored.trace).toMatchObject({ resultId: result.resultId, verdict: 'domestic' });
    client.close();
    await client.closed;
  });

  it('says when a task expired unanswered', async () => {
    const { token } = await t.token();
    const client = await TestClient.connect(t.coordinator.agentUrl, token);
    const issued = new Date(Date.now() - 3_600_000);
    await t.store.recordTask({
      taskId: 'tk_expired-task-0001',
      agentId: client.agentId,
      target: '192.0.2.60',
      issuedAt: issued.toISOString(),
      deadline: new Date(issued.getTime() + 900_000).toISOString(),
    });
    const { status, body } = await getJson(`${t.coordinator.url}/api/v1/measurements/tk_expired-task-0001`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ state: 'expired', target: '192.0.2.60', answeredAt: null, trace: null });
    client.close();
    await client.closed;
  });

  it('answers 404 for an unknown task and 400 for what cannot be a task id', async () => {
    const missing = await getJson(`${t.coordinator.url}/api/v1/measurements/tk_nosuchtask0000`);
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({
      error: { code: 'NOT_FOUND', message: expect.stringContaining('tk_nosuchtask0000') },
    });
    for (const bad of ['abc', `tk_${'x'.repeat(65)}`, 'tk_a%20b', 'tk_']) {
      const r = await getJson(`${t.coordinator.url}/api/v1/measurements/${bad}`);
      expect({ bad, status: r.status }).toEqual({ bad, status: 400 });
      expect(r.body).toMatchObject({ error: { code: 'BAD_PARAMETER', parameter: 'taskId' } });
    }
  });
});

describe('GET /api/v1/route-changes and the baselines', () => {
  it('pages the route changes, filtered by agent, target and time, and shows the usual path with its share', async () => {
    const HOUR = 3_600_000;
    const t0 = Date.now() - 48 * HOUR;
    const A = [7018, 3356];
    const B = [7018, 174, 3356];
    const write = (agentId: string, target: string, asns: number[], i: number) =>
      t.store.writeImported([
        recordOf(
          domesticObservation({ agentId, destinationIp: target, pathAsns: asns, startedAt: t0 + i * HOUR }),
        ),
      ]);
    for (let i = 0; i < 4; i++) await write('ag_api_a', '203.0.113.30', A, i);
    await write('ag_api_a', '203.0.113.30', B, 4);
    for (let i = 0; i < 3; i++) await write('ag_api_b', '203.0.113.31', B, i);
    await write('ag_api_b', '203.0.113.31', A, 3);

    const base = `${t.coordinator.url}/api/v1/route-changes`;
    const all = await getJson(`${base}?since=3d`);
    expect(all.status).toBe(200);
    const changes = (
      all.body as { routeChanges: { id: number; agentId: string; before: { asns: number[] } }[] }
    ).routeChanges;
    expect(changes.map((c) => [c.agentId, c.before.asns])).toEqual([
      ['ag_api_b', B],
      ['ag_api_a', A],
    ]);
    const byAgent = await getJson(`${base}?agent=ag_api_a`);
    expect(byAgent.body).toMatchObject({
      routeChanges: [
        {
          kind: 'new-path',
          target: '203.0.113.30',
          before: { asns: A, traces: 4, of: 4, share: 1 },
          after: { asns: B, traces: 1, of: 5 },
          leftHome: false,
        },
      ],
      nextCursor: null,
    });
    expect((await getJson(`${base}?target=203.0.113.31`)).body).toMatchObject({
      routeChanges: [{ agentId: 'ag_api_b' }],
    });
    expect((await getJson(`${base}?since=1h`)).body).toEqual({ routeChanges: [], nextCursor: null });

    const first = (await getJson(`${base}?limit=1`)).body as {
      routeChanges: { id: number }[];
      nextCursor: string;
    };
    const second = (await getJson(`${base}?limit=1&cursor=${encodeURIComponent(first.nextCursor)}`)).body as {
      routeChanges: { id: number }[];
    };
    expect([first.routeChanges[0]?.id, second.routeChanges[0]?.id]).toEqual(changes.map((c) => c.id));

    for (const [query, parameter] of [
      ['since=yesterday', 'since'],
      ['limit=0', 'limit'],
      ['color=red', 'color'],
    ]) {
      const r = await getJson(`${base}?${query}`);
      expect({ query, status: r.status }).toEqual({ query, status: 400 });
      expect(r.body).toMatchObject({ error: { code: 'BAD_PARAMETER', parameter } });
    }

    const baselines = await getJson(`${t.coordinator.url}/api/v1/baselines?agent=ag_api_a`);
    expect(baselines.body).toMatchObject({
      baselines: [{ target: '203.0.113.30', normal: { asns: A, traces: 4, of: 5 }, changed: true }],
    });
    const share = (baselines.body as { baselines: { normal: { share: number } }[] }).baselines[0]?.normal
      .share;
    expect(share).toBeCloseTo(4 / 5, 10);
  });
});
