/**
 * Issue 13: an operator saves a paste. POST /api/v1/analyze?save=1 on a real coordinator (SQLite in a temp
 * directory, the test world's databases): with an operator key the judged traces are stored as origin `paste`,
 * with the key's name, and appear in the history like an import; without one (or with an agent's token) the
 * request is refused with a coded error and nothing is stored; the same paste saved twice is stored once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TraceSummary } from '../../protocol/history-api.ts';
import type { AnalyzeResponse } from '../../protocol/map-api.ts';
import { generateToken, hashToken } from '../../server/store/tokens.ts';
import {
  AGENT_LOCATION,
  DETOUR_OUTPUT,
  DOMESTIC_OUTPUT,
  startTestCoordinator,
  type TestCoordinator,
} from '../integration/coordinator-harness.ts';

describe('POST /api/v1/analyze?save=1', () => {
  let test: TestCoordinator;
  const where = `${AGENT_LOCATION.lat},${AGENT_LOCATION.lon}`;
  const save = (text: string, key: string | null, query = '?save=1') =>
    fetch(`${test.coordinator.url}/api/v1/analyze${query}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(key === null ? {} : { authorization: `Bearer ${key}` }),
      },
      body: JSON.stringify({ text, sourceLocation: where }),
    });
  const traces = async (): Promise<TraceSummary[]> => {
    const res = await fetch(`${test.coordinator.url}/api/v1/traces?limit=100`);
    return ((await res.json()) as { traces: TraceSummary[] }).traces;
  };

  beforeAll(async () => {
    test = await startTestCoordinator();
  });
  afterAll(async () => {
    await test?.close();
  });

  it('without a key: 401 AUTH_REQUIRED, and nothing is stored', async () => {
    const before = (await traces()).length;
    const res = await save(DETOUR_OUTPUT, null);
    expect(res.status).toBe(401);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('AUTH_REQUIRED');
    expect(error.message).toMatch(/operator key/);
    expect((await traces()).length).toBe(before);
  });

  it("with an agent's token: 403 FORBIDDEN, and nothing is stored", async () => {
    const before = (await traces()).length;
    const agent = await test.token('paste-agent');
    const res = await save(DETOUR_OUTPUT, agent.token);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
    expect((await traces()).length).toBe(before);
  });

  it('with an unknown key: 401, nothing stored; a bad save value: 400', async () => {
    const before = (await traces()).length;
    expect((await save(DETOUR_OUTPUT, 'dwt_not-a-key')).status).toBe(401);
    const bad = await save(DETOUR_OUTPUT, test.operatorKey, '?save=yes');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('BAD_REQUEST');
    expect((await traces()).length).toBe(before);
  });

  it('with an operator key: stored as origin paste, with who saved it, visible in the history', async () => {
    const res = await save(DETOUR_OUTPUT, test.operatorKey);
    expect(res.status).toBe(200);
    const answer = (await res.json()) as AnalyzeResponse;
    expect(answer.stored).toBe(true);
    expect(answer.newlyStored).toBe(1);
    expect(answer.storedTraceIds).toHaveLength(1);
    const [id] = answer.storedTraceIds as number[];

    const listed = (await traces()).find((t) => t.id === id);
    expect(listed).toMatchObject({ origin: 'paste', agentId: null, destinationIp: '192.0.2.50' });
    // The stored verdict is the one the answer drew.
    expect(listed?.verdict).toBe(answer.traces[0]?.verdict);
    const detail = await fetch(`${test.coordinator.url}/api/v1/traces/${id}`);
    expect(((await detail.json()) as { origin: string }).origin).toBe('paste');
    // Who saved it is kept with the trace (the store's record of it).
    expect((await test.store.getTrace(id as number))?.savedBy).toBe('test-operator');
    // DETOUR_OUTPUT from the agents' location is a detour (coordinator-harness.ts): one of the history's too.
    expect(answer.traces[0]?.verdict).toBe('detour');
    {
      const detours = (await (await fetch(`${test.coordinator.url}/api/v1/detours?limit=100`)).json()) as {
        detours: { id: number }[];
      };
      expect(detours.detours.map((d) => d.id)).toContain(id);
    }
  });

  it('saved twice (even by another operator): stored once, the same ids answered', async () => {
    const first = (await (await save(DOMESTIC_OUTPUT, test.operatorKey)).json()) as AnalyzeResponse;
    expect(first.newlyStored).toBe(1);
    const count = (await traces()).length;
    const otherKey = generateToken();
    await test.store.createToken('second-operator', hashToken(otherKey), new Date().toISOString(), {
      role: 'operator',
    });
    const again = (await (await save(DOMESTIC_OUTPUT, otherKey)).json()) as AnalyzeResponse;
    expect(again.stored).toBe(true);
    expect(again.newlyStored).toBe(0);
    expect(again.storedTraceIds).toEqual(first.storedTraceIds);
    expect((await traces()).length).toBe(count);
  });

  it('the same text from another source location is another paste', async () => {
    const count = (await traces()).length;
    const res = await fetch(`${test.coordinator.url}/api/v1/analyze?save=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${test.operatorKey}` },
      body: JSON.stringify({ text: DOMESTIC_OUTPUT, sourceLocation: '40.71,-74.01' }),
    });
    const answer = (await res.json()) as AnalyzeResponse;
    expect(answer.newlyStored).toBe(1);
    expect((await traces()).length).toBe(count + 1);
  });

  it('without ?save a paste with an operator key is judged and not stored', async () => {
    const count = (await traces()).length;
    const res = await save(`${DETOUR_OUTPUT}\n`, test.operatorKey, '');
    const answer = (await res.json()) as AnalyzeResponse;
    expect(answer.stored).toBe(false);
    expect(answer.storedTraceIds).toBeUndefined();
    expect((await traces()).length).toBe(count);
  });
});
