/**
 * Exactly-once delivery through crashes, with a real agent process tracing 127.0.0.1 with stand-in engines
 * (recorded real tool output, test/helpers/stand-in-engines.ts) and a protocol-speaking coordinator on
 * 127.0.0.1 that the test kills at exact moments.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AgentProcess, killAgent, spawnAgent } from '../agent/agent-process.ts';
import { FakeCoordinator, FakeStore, waitFor } from '../agent/fake-coordinator.ts';
import { createStandInEngines, type StandInEngines } from '../helpers/stand-in-engines.ts';

const TASKS = 5;

async function outboxFiles(dir: string): Promise<string[]> {
  return (await fs.readdir(dir)).filter((n) => n.endsWith('.json') && !n.startsWith('.'));
}

/** Every task has exactly one stored result, and no result was stored twice. */
function expectExactlyOnce(store: FakeStore, taskIds: string[]): void {
  const storedTaskIds = [...store.stored.values()].map((r) => r.taskId).sort();
  expect(storedTaskIds).toEqual([...taskIds].sort());
  expect([...store.storeCounts.values()].every((n) => n === 1)).toBe(true);
  for (const r of store.stored.values()) {
    expect(r.target).toBe('127.0.0.1');
    expect(r.output.length).toBeGreaterThan(0);
  }
}

describe('agent delivery survives crashes', () => {
  let outbox: string;
  let agent: AgentProcess | undefined;
  let coordinator: FakeCoordinator | undefined;
  let engines: StandInEngines;

  beforeEach(async () => {
    outbox = await fs.mkdtemp(path.join(os.tmpdir(), 'dw-agent-'));
    engines = await createStandInEngines();
  });

  afterEach(async () => {
    await killAgent(agent);
    await coordinator?.kill();
    coordinator = undefined;
    await engines?.remove();
    await fs.rm(outbox, { recursive: true, force: true });
  });

  const startAgent = (url: string, extra: string[] = []) =>
    spawnAgent(
      ['--server', url, '--outbox', outbox, '--allow-special-targets', '--max-concurrent', '3', ...extra],
      { DETOURWATCH_TOKEN: 'good-token', ...engines.env },
    );

  it('coordinator killed after storing results whose acks were lost: each result stored once after restart', async () => {
    const store = new FakeStore();
    coordinator = await FakeCoordinator.start({ store, ackMode: 'store-no-ack' });
    const port = coordinator.port;
    agent = startAgent(coordinator.url);
    await waitFor(() => coordinator?.connected === true, 'the agent to connect');
    const taskIds = Array.from({ length: TASKS }, () => coordinator?.sendTask('127.0.0.1') as string);
    await waitFor(() => store.received.length === TASKS, 'all results to reach the coordinator');
    // Stored, never acknowledged: the agent must still hold every one of them on disk.
    expect(await outboxFiles(outbox)).toHaveLength(TASKS);

    await coordinator.kill();
    coordinator = await FakeCoordinator.start({ store, port, ackMode: 'ack' });
    await waitFor(() => agent?.lines('result-acked').length === TASKS, 'the re-sent results to be acked');

    expectExactlyOnce(store, taskIds);
    // They were sent again and recognised, not stored again.
    expect(agent.lines('result-acked').filter((l) => l.includes('status=duplicate'))).toHaveLength(TASKS);
    expect(store.received.length).toBeGreaterThanOrEqual(2 * TASKS);
    expect(await outboxFiles(outbox)).toHaveLength(0);
  });

  it('coordinator down while traces finish: results wait in the outbox and arrive once after restart', async () => {
    const store = new FakeStore();
    coordinator = await FakeCoordinator.start({ store, ackMode: 'ack' });
    const port = coordinator.port;
    // The traces run until released: the coordinator dies while all three run.
    await engines.control({ mode: 'trace', hold: true });
    agent = startAgent(coordinator.url, ['--engine', 'mtr']);
    await waitFor(() => coordinator?.connected === true, 'the agent to connect');
    const taskIds = Array.from({ length: 3 }, () => coordinator?.sendTask('127.0.0.1') as string);
    await waitFor(() => engines.traces().length === 3, 'the traces to start');
    await coordinator.kill();
    coordinator = undefined;
    await engines.release();

    await waitFor(() => agent?.lines('task-finished').length === 3, 'the traces to finish offline');
    expect(await outboxFiles(outbox)).toHaveLength(3);
    expect(store.received).toHaveLength(0);

    coordinator = await FakeCoordinator.start({ store, port, ackMode: 'ack' });
    await waitFor(() => agent?.lines('result-acked').length === 3, 'the results to be delivered');
    expectExactlyOnce(store, taskIds);
    expect(store.hellos.at(-1)?.pending).toBe(3); // the reconnecting hello said what it held
    expect(await outboxFiles(outbox)).toHaveLength(0);
  });

  it('agent SIGKILLed after finishing results but before their ack: restarted, it delivers each once', async () => {
    const store = new FakeStore();
    coordinator = await FakeCoordinator.start({ store, ackMode: 'store-no-ack' });
    agent = startAgent(coordinator.url);
    await waitFor(() => coordinator?.connected === true, 'the agent to connect');
    const taskIds = Array.from({ length: TASKS }, () => coordinator?.sendTask('127.0.0.1') as string);
    await waitFor(() => store.received.length === TASKS, 'all results sent');
    agent.child.kill('SIGKILL');
    await agent.exited;
    expect(await outboxFiles(outbox)).toHaveLength(TASKS);

    coordinator.ackMode = 'ack';
    agent = startAgent(coordinator.url);
    await waitFor(() => agent?.lines('result-acked').length === TASKS, 'the outbox to drain after restart');
    expect(agent.lines('outbox-opened')[0]).toContain(`pending=${TASKS}`);
    expectExactlyOnce(store, taskIds);
    expect(await outboxFiles(outbox)).toHaveLength(0);
  });

  it('a crash-torn outbox does not stop the agent: temp files removed, garbage quarantined, the rest sent', async () => {
    const store = new FakeStore();
    const good = {
      type: 'result',
      resultId: 'AAAAAAAAAAAAAAAAAAAAAA',
      taskId: null,
      target: '127.0.0.1',
      engine: 'traceroute',
      output:
        'traceroute to 127.0.0.1 (127.0.0.1), 30 hops max, 60 byte packets\n 1  localhost (127.0.0.1)  0.1 ms\n',
      startedAt: new Date().toISOString(),
      durationMs: 3,
    };
    await fs.writeFile(
      path.join(outbox, '000001700000000-AAAAAAAAAAAAAAAAAAAAAA.json'),
      JSON.stringify(good),
    );
    await fs.writeFile(
      path.join(outbox, '000001700000001-BBBBBBBBBBBBBBBBBBBBBB.json'),
      '{"type":"result","res',
    );
    await fs.writeFile(path.join(outbox, '.tmp-CCCCCCCCCCCCCCCCCCCCCC.json'), '{"type":');
    await fs.writeFile(path.join(outbox, 'notes.txt'), 'not a result');
    coordinator = await FakeCoordinator.start({ store, ackMode: 'ack' });
    agent = startAgent(coordinator.url);

    await waitFor(
      () => agent?.lines('result-acked').length === 1 && agent.lines('outbox-quarantined').length === 2,
      'the intact result delivered and the two bad files moved aside',
    );
    expect([...store.stored.keys()]).toEqual([good.resultId]);
    expect((await fs.readdir(outbox)).sort()).toEqual(['quarantine']);
    const quarantined = await fs.readdir(path.join(outbox, 'quarantine'));
    expect(quarantined.some((n) => n.endsWith('BBBBBBBBBBBBBBBBBBBBBB.json'))).toBe(true);
    expect(quarantined.some((n) => n.endsWith('notes.txt'))).toBe(true);
    expect(agent.child.exitCode).toBeNull();
  });
});
