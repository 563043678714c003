import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TaskMessage } from '../../protocol/messages.ts';
import {
  DOMESTIC_OUTPUT,
  isType,
  resultMessage,
  startTestCoordinator,
  TestClient,
  type TestCoordinator,
} from './coordinator-harness.ts';

// Documentation addresses: the test client never traces anything; no packet leaves this machine.
const TARGETS = ['192.0.2.10', '198.51.100.20', '203.0.113.30'];

let dir: string;
let targetsFile: string;
let t: TestCoordinator | null = null;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'detourwatch-targets-'));
  targetsFile = path.join(dir, 'targets.txt');
  writeFileSync(targetsFile, `# lab targets\n${TARGETS.join('\n')}\nnot a target!\n`);
});

afterEach(async () => {
  await t?.close();
  t = null;
  rmSync(dir, { recursive: true, force: true });
});

const tasks = (client: TestClient): TaskMessage[] => client.messages.filter(isType('task'));
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('recurring measurements', () => {
  it('give each agent the catalogue within its concurrency, one target per interval', async () => {
    t = await startTestCoordinator({ schedule: true, targetsFile, intervalMs: 60_000, tickMs: 20 });
    expect(t.logs.some((l) => l.includes('targets.txt:5') && l.includes('refused'))).toBe(true);
    const client = await TestClient.connect(t.coordinator.agentUrl, (await t.token()).token, {
      limits: { maxConcurrent: 1, maxPerMinute: 60 },
    });
    await client.waitFor(isType('task'));
    await pause(200);
    expect(tasks(client)).toHaveLength(1);
    const first = tasks(client)[0] as TaskMessage;
    client.send(resultMessage(DOMESTIC_OUTPUT, { taskId: first.taskId }));
    await expect.poll(() => tasks(client).length).toBe(2);
    const second = tasks(client)[1] as TaskMessage;
    client.send({ type: 'task-failed', taskId: second.taskId, code: 'ENGINE_FAILED', message: 'test' });
    await expect.poll(() => tasks(client).length).toBe(3);
    client.send(resultMessage(DOMESTIC_OUTPUT, { taskId: tasks(client)[2]?.taskId }));
    await pause(200);
    // Every target once; the next round is an interval away. Loopback agents add no mesh target.
    expect(
      tasks(client)
        .map((task) => task.target)
        .sort(),
    ).toEqual([...TARGETS].sort());
    client.close();
  });

  it("never exceed the agent's rate per minute", async () => {
    t = await startTestCoordinator({ schedule: true, targetsFile, intervalMs: 60_000, tickMs: 20 });
    const client = await TestClient.connect(t.coordinator.agentUrl, (await t.token()).token, {
      limits: { maxConcurrent: 10, maxPerMinute: 2 },
    });
    await expect.poll(() => tasks(client).length).toBe(2);
    for (const task of tasks(client)) client.send(resultMessage(DOMESTIC_OUTPUT, { taskId: task.taskId }));
    await pause(300);
    expect(tasks(client)).toHaveLength(2);
    client.close();
  });

  it('pick up an edited target list without a restart', async () => {
    t = await startTestCoordinator({
      schedule: true,
      targetsFile,
      watchTargets: true,
      intervalMs: 60_000,
      tickMs: 20,
    });
    const client = await TestClient.connect(t.coordinator.agentUrl, (await t.token()).token, {
      limits: { maxConcurrent: 10, maxPerMinute: 60 },
    });
    await expect.poll(() => tasks(client).length).toBe(3);
    writeFileSync(targetsFile, `${TARGETS.join('\n')}\n192.0.2.99   # added while running\n`);
    await expect
      .poll(() => tasks(client).map((task) => task.target), { timeout: 5000 })
      .toContain('192.0.2.99');
    expect(tasks(client)).toHaveLength(4);
    client.close();
  });

  it('are off with schedule: false, while requests still go out', async () => {
    t = await startTestCoordinator({ schedule: false, targetsFile, tickMs: 20 });
    const client = await TestClient.connect(t.coordinator.agentUrl, (await t.token()).token);
    await pause(200);
    expect(tasks(client)).toEqual([]);
    client.close();
  });
});
