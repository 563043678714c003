/**
 * The agent's behaviour over time, with a real agent process tracing 127.0.0.1 with stand-in engines that
 * print recorded real tool output (test/helpers/stand-in-engines.ts) and hold a trace for as long as a test
 * needs it running.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_MESSAGE_BYTES } from '../../protocol/messages.ts';
import { type AgentProcess, killAgent, spawnAgent } from '../agent/agent-process.ts';
import { FakeCoordinator, FakeStore, waitFor } from '../agent/fake-coordinator.ts';
import { createStandInEngines, type StandInEngines } from '../helpers/stand-in-engines.ts';

describe('agent lifecycle', () => {
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
    await engines?.remove();
    await fs.rm(outbox, { recursive: true, force: true });
  });

  const startAgent = (url: string, extra: string[]) =>
    spawnAgent(['--server', url, '--outbox', outbox, ...extra], {
      DETOURWATCH_TOKEN: 'good-token',
      ...engines.env,
    });

  it('SIGTERM lets the running trace finish and deliver, refuses new tasks, closes with 1000 and exits 0', async () => {
    const store = new FakeStore();
    coordinator = await FakeCoordinator.start({ store });
    // The trace runs until released: SIGTERM and the late task certainly arrive while it runs.
    await engines.control({ mode: 'trace', hold: true });
    agent = startAgent(coordinator.url, ['--allow-special-targets', '--engine', 'mtr']);
    await waitFor(() => coordinator?.connected === true, 'the agent to connect');
    const running = coordinator.sendTask('127.0.0.1');
    await waitFor(() => engines.traces().length === 1, 'the trace to start');
    agent.child.kill('SIGTERM');
    await waitFor(() => agent?.lines('shutting-down').length === 1, 'the agent to begin shutting down');
    const late = coordinator.sendTask('127.0.0.1');
    await waitFor(() => store.taskFailed.length === 1, 'the late task to be refused');
    expect(agent.child.exitCode).toBeNull(); // still finishing the running trace
    await engines.release();

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
    // The first trace runs until released, so the whole burst arrives while it runs.
    await engines.control({ mode: 'trace', hold: true });
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
    await engines.release();
    await waitFor(() => store.stored.size === 2, 'two traces (the per-minute allowance)');
    // The rate limit holds: no third trace starts within the minute.
    await new Promise((r) => setTimeout(r, 1500));
    expect(agent.lines('task-started')).toHaveLength(2);
    expect(engines.traces()).toHaveLength(2);
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
    expect(engines.traces()).toHaveLength(0); // no tool was started for any of them
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
    // Silence is 3 heartbeats (1.5 s) without a word: far longer than any pause of a healthy connection here.
    coordinator = await FakeCoordinator.start({ store, heartbeatMs: 500 });
    agent = startAgent(coordinator.url, []);
    await waitFor(() => agent?.lines('connected').length === 1, 'the first connection');
    // Only the connection open now goes silent: the agent's next one is answered, however soon it comes.
    coordinator.goSilent();
    await waitFor(() => agent?.lines('heartbeat-silence').length === 1, 'the agent to notice the silence');
    await waitFor(
      () => store.hellos.length === 2 && agent?.lines('connected').length === 2,
      'a new connection after the silence',
    );
    expect(agent.lines('heartbeat-silence')[0]).toContain('heartbeatMs=500');
    expect(agent.lines('disconnected')[0]).toMatch(/coordinator silent for \d+ ms/);
    expect(agent.lines('reconnecting')).toHaveLength(1);

    coordinator.cutOff();
    await waitFor(
      () => store.hellos.length === 3 && agent?.lines('connected').length === 3,
      'a new connection after the cut',
    );
    expect(agent.lines('disconnected')[1]).toMatch(/close 1006/); // noticed as a cut, not as silence
    expect(agent.lines('reconnecting')).toHaveLength(2);
    expect(agent.lines('heartbeat-silence')).toHaveLength(1);
  });
});
