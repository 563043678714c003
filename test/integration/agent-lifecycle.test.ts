/** The agent's behaviour over time, with a real agent process and real traceroutes of 127.0.0.1. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_MESSAGE_BYTES } from '../../protocol/messages.ts';
import { type AgentProcess, killAgent, spawnAgent } from '../agent/agent-process.ts';
import { FakeCoordinator, FakeStore, waitFor } from '../agent/fake-coordinator.ts';

describe('agent lifecycle', () => {
  let outbox: string;
  let agent: AgentProcess | undefined;
  let coordinator: FakeCoordinator | undefined;

  beforeEach(async () => {
    outbox = await fs.mkdtemp(path.join(os.tmpdir(), 'dw-agent-'));
  });

  afterEach(async () => {
    await killAgent(agent);
    await coordinator?.kill();
    await fs.rm(outbox, { recursive: true, force: true });
  });

  const startAgent = (url: string, extra: string[]) =>
    spawnAgent(['--server', url, '--outbox', outbox, ...extra], { DETOURWATCH_TOKEN: 'good-token' });

  it('SIGTERM lets the running trace finish and deliver, refuses new tasks, closes with 1000 and exits 0', async () => {
    const store = new FakeStore();
    coordinator = await FakeCoordinator.start({ store });
    agent = startAgent(coordinator.url, ['--allow-special-targets', '--engine', 'mtr']);
    await waitFor(() => coordinator?.connected === true, 'the agent to connect');
    const running = coordinator.sendTask('127.0.0.1');
    await waitFor(() => agent?.lines('task-started').length === 1, 'the trace to start');
    agent.child.kill('SIGTERM');
    await waitFor(() => agent?.lines('shutting-down').length === 1, 'the agent to begin shutting down');
    const late = coordinator.sendTask('127.0.0.1');

    const exit = await agent.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect([...store.stored.values()].map((r) => r.taskId)).toEqual([running]);
    expect(store.taskFailed.map((f) => [f.taskId, f.code])).toEqual([[late, 'SHUTTING_DOWN']]);
    expect(coordinator.closeCodes).toEqual([1000]);
    expect(agent.lines('stopped')[0]).toContain('pending=0');
  });

  it('keeps to --max-concurrent and --max-per-minute, queues within bounds and answers the excess busy', async () => {
    const store = new FakeStore();
    coordinator = await FakeCoordinator.start({ store });
    // scamper takes ~0.2 s on loopback, far longer than the burst of tasks takes to arrive.
    agent = startAgent(coordinator.url, [
      '--allow-special-targets',
      '--engine',
      'scamper',
      '--max-concurrent',
      '1',
      '--max-per-minute',
      '2',
    ]);
    await waitFor(() => coordinator?.connected === true, 'the agent to connect');
    const sent = 15;
    for (let i = 0; i < sent; i++) coordinator.sendTask('127.0.0.1');
    // Queue bound for these limits is 10: one task runs, ten wait, four are turned away.
    await waitFor(() => store.taskFailed.length === 4, 'the excess tasks to be refused');
    expect(store.taskFailed.every((f) => f.code === 'BUSY')).toBe(true);
    await waitFor(() => store.stored.size === 2, 'two traces (the per-minute allowance)');
    // The rate limit holds: no third trace starts within the minute.
    await new Promise((r) => setTimeout(r, 1500));
    expect(agent.lines('task-started')).toHaveLength(2);
    expect(store.stored.size).toBe(2);
    // Never two at once: each start follows the previous finish in the log.
    const events = agent
      .log()
      .split('\n')
      .filter((l) => / (task-started|task-finished) /.test(l))
      .map((l) => (l.includes('task-started') ? 'start' : 'finish'));
    expect(events).toEqual(['start', 'finish', 'start', 'finish']);

    agent.child.kill('SIGTERM');
    expect((await agent.exited).code).toBe(0);
    // The nine still waiting were handed back, not silently dropped.
    expect(store.taskFailed.filter((f) => f.code === 'SHUTTING_DOWN')).toHaveLength(sent - 4 - 2);
  });

  it('refuses loopback targets unless --allow-special-targets, and bad target strings always', async () => {
    const store = new FakeStore();
    coordinator = await FakeCoordinator.start({ store });
    agent = startAgent(coordinator.url, []);
    await waitFor(() => coordinator?.connected === true, 'the agent to connect');
    const loopback = coordinator.sendTask('127.0.0.1');
    const option = coordinator.sendTask('-e');
    const spaced = coordinator.sendTask('a b');
    await waitFor(() => store.taskFailed.length === 3, 'three refusals');
    expect(store.taskFailed.map((f) => [f.taskId, f.code])).toEqual([
      [loopback, 'TARGET_REFUSED'],
      [option, 'TARGET_REFUSED'],
      [spaced, 'TARGET_REFUSED'],
    ]);
    expect(store.taskFailed[0]?.message).toMatch(/loopback/);
    expect(agent.lines('task-started')).toHaveLength(0);
  });

  it('ignores malformed coordinator messages, and reconnects after an oversized one', async () => {
    const store = new FakeStore();
    coordinator = await FakeCoordinator.start({ store });
    agent = startAgent(coordinator.url, ['--allow-special-targets', '--engine', 'traceroute']);
    await waitFor(() => coordinator?.connected === true, 'the agent to connect');
    coordinator.sendRaw('{"type":"nope"}');
    coordinator.sendRaw('not json');
    coordinator.sendRaw(Buffer.from([1, 2, 3]));
    coordinator.sendRaw(JSON.stringify({ type: 'task', taskId: 't', target: 42 }));
    await waitFor(() => agent?.lines('message-invalid').length === 4, 'four complaints');
    expect(agent.lines('message-invalid')[3]).toContain('target');
    // Still working on the same connection.
    const taskId = coordinator.sendTask('127.0.0.1');
    await waitFor(() => store.stored.size === 1, 'the next task to be delivered');
    expect([...store.stored.values()][0]?.taskId).toBe(taskId);
    expect(store.hellos).toHaveLength(1);

    coordinator.sendRaw('x'.repeat(MAX_MESSAGE_BYTES + 1));
    await waitFor(() => store.hellos.length === 2, 'a reconnect after the oversized frame');
    expect(agent.lines('disconnected')[0]).toMatch(/close 1009|Max payload/i);
  });

  it('reconnects when the coordinator goes silent (heartbeat), and again after being cut off', async () => {
    const store = new FakeStore();
    coordinator = await FakeCoordinator.start({ store, heartbeatMs: 200 });
    agent = startAgent(coordinator.url, []);
    await waitFor(() => store.hellos.length === 1, 'the first hello');
    coordinator.silent = true;
    await waitFor(
      () => agent?.lines('heartbeat-silence').length === 1,
      'the agent to notice the silence',
      5000,
    );
    coordinator.silent = false;
    await waitFor(() => store.hellos.length === 2 && coordinator?.connected === true, 'a new connection');
    expect(agent.lines('heartbeat-silence')[0]).toContain('heartbeatMs=200');
    expect(agent.lines('reconnecting')).toHaveLength(1);
    expect(agent.lines('connected')).toHaveLength(2);
  });
});
