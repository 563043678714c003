/**
 * The real agent against the real coordinator (`detourwatch serve`), both as processes on 127.0.0.1,
 * tracing 127.0.0.1 with a stand-in mtr that prints recorded real mtr output (test/helpers/stand-in-engines.ts),
 * which the coordinator parses and stores like any other. Each test SIGKILLs a process while the agent holds
 * finished results and restarts it on the same port / data / outbox: every result must be stored exactly once.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AgentProcess, killAgent, spawnAgent } from '../agent/agent-process.ts';
import { type CoordinatorProcess, createToken, killServe, startServe } from '../agent/coordinator-process.ts';
import { waitFor } from '../agent/fake-coordinator.ts';
import { createStandInEngines, type StandInEngines } from '../helpers/stand-in-engines.ts';

interface ApiAgent {
  id: string;
  name: string;
  connected: boolean;
  engines: string[];
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function outboxFiles(dir: string): Promise<string[]> {
  return (await fs.readdir(dir)).filter((n) => n.endsWith('.json') && !n.startsWith('.'));
}

const TASKS = 4;

// Each test starts the coordinator twice and the agent once or twice, processes that compile their sources as
// they start: on a busy machine that alone can take most of the default 30 s, so the bound is the sum of its waits.
describe('agent with the real coordinator', { timeout: 120_000 }, () => {
  let tmp: string;
  let data: string;
  let outbox: string;
  let token: string;
  let operatorKey: string;
  let coordinator: CoordinatorProcess | undefined;
  let agent: AgentProcess | undefined;
  let engines: StandInEngines;

  beforeEach(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'dw-real-'));
    data = path.join(tmp, 'data');
    outbox = path.join(tmp, 'outbox');
    token = await createToken(data, 'restart-test');
    operatorKey = await createToken(data, 'test-operator', 'operator');
    // The traces run until released, so the coordinator can be killed while they run.
    engines = await createStandInEngines({ mode: 'trace', hold: true });
  });
  afterEach(async () => {
    await killAgent(agent);
    await killServe(coordinator);
    await engines?.remove();
    await fs.rm(tmp, { recursive: true, force: true });
  });

  const startAgent = (url: string) =>
    spawnAgent(
      [
        '--server',
        url,
        '--outbox',
        outbox,
        '--allow-special-targets',
        '--engine',
        'mtr',
        '--max-concurrent',
        '4',
      ],
      { DETOURWATCH_TOKEN: token, ...engines.env },
    );

  /** Connects the agent, asks the coordinator for TASKS traces, and kills the coordinator while they run. */
  async function tracesFinishedWhileCoordinatorDown(c: CoordinatorProcess, a: AgentProcess): Promise<void> {
    await waitFor(() => a.lines('connected').length === 1, 'the agent to be welcomed', 30_000);
    const { agents } = await getJson<{ agents: ApiAgent[] }>(`${c.url}/api/v1/agents`);
    const me = agents.find((x) => x.name === 'restart-test');
    expect(me?.connected).toBe(true);
    expect(me?.engines).toEqual(['mtr']);
    for (let i = 0; i < TASKS; i++) {
      const res = await fetch(`${c.url}/api/v1/measurements`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${operatorKey}` },
        body: JSON.stringify({ agentId: me?.id, target: '127.0.0.1' }),
      });
      expect(res.status).toBe(202);
    }
    await waitFor(() => engines.traces().length === TASKS, 'the traces to start');
    await killServe(c, 'SIGKILL');
    await engines.release();
    await waitFor(() => a.lines('task-finished').length === TASKS, 'the traces to finish offline', 30_000);
    expect(await outboxFiles(outbox)).toHaveLength(TASKS);
  }

  /** The coordinator stored exactly the results the agent finished, each once. */
  async function expectStoredExactlyOnce(c: CoordinatorProcess, finished: string[]): Promise<void> {
    const { traces } = await getJson<{ traces: { resultId: string | null }[] }>(
      `${c.url}/api/v1/traces?limit=1000`,
    );
    const stored = traces.map((t) => t.resultId);
    expect(finished).toHaveLength(TASKS);
    expect([...stored].sort()).toEqual([...finished].sort());
  }

  const finishedResultIds = (a: AgentProcess) =>
    a.lines('task-finished').map((l) => /resultId=(\S+)/.exec(l)?.[1] as string);

  it('coordinator SIGKILLed while the agent holds results: after its restart each is stored exactly once', async () => {
    coordinator = await startServe(data);
    const port = coordinator.port;
    agent = startAgent(coordinator.url);
    await tracesFinishedWhileCoordinatorDown(coordinator, agent);

    coordinator = await startServe(data, port);
    await waitFor(() => agent?.lines('result-acked').length === TASKS, 'the results to be acked', 30_000);
    expect(agent.lines('result-acked').every((l) => l.includes('status=stored'))).toBe(true);
    expect(await outboxFiles(outbox)).toHaveLength(0);
    await expectStoredExactlyOnce(coordinator, finishedResultIds(agent));

    // A clean stop afterwards: exit 0, and the coordinator sees the agent leave.
    agent.child.kill('SIGTERM');
    expect((await agent.exited).code).toBe(0);
  });

  it('agent SIGKILLed holding unacknowledged results, both restarted: each result is stored exactly once', async () => {
    coordinator = await startServe(data);
    const port = coordinator.port;
    agent = startAgent(coordinator.url);
    await tracesFinishedWhileCoordinatorDown(coordinator, agent);
    const finished = finishedResultIds(agent);
    agent.child.kill('SIGKILL');
    await agent.exited;

    coordinator = await startServe(data, port);
    agent = startAgent(coordinator.url);
    await waitFor(() => agent?.lines('result-acked').length === TASKS, 'the outbox to drain', 30_000);
    expect(agent.lines('outbox-opened')[0]).toContain(`pending=${TASKS}`);
    expect(await outboxFiles(outbox)).toHaveLength(0);
    await expectStoredExactlyOnce(coordinator, finished);
  });
});
