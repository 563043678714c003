/**
 * Fault: the disk holding the store fills up (issue 16, item 2).
 *
 * Proves that a coordinator whose disk is full acknowledges nothing it did not store, tells agents to back
 * off with a coded reason, keeps answering reads, says so in one log line, and resumes by itself when space
 * returns. The coordinator is the real `detourwatch serve`, a child process in its own mount namespace
 * (`unshare -m`) whose data directory is a 4 MiB tmpfs nobody else sees; the test reaches it over 127.0.0.1
 * (same network namespace) and fills or frees the tmpfs with `nsenter -t PID -m`. A protocol client answers
 * tasks an operator requested (POST /api/v1/measurements), as the coordinator only takes answers to its tasks.
 *
 * Not here: a read-only remount. Linux refuses `mount -o remount,ro` of a filesystem with a file open for
 * writing (EBUSY: SQLite holds the database and its WAL open read-write), and an ext4 forced read-only after
 * an error (`trigger_fs_error`) cannot be remounted read-write while mounted, so no test can watch a running
 * coordinator recover from one. test/ingest/unwritable-store.test.ts covers STORE_READ_ONLY on a real store.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AckMessage, TaskMessage } from '../../protocol/messages.ts';
import { AGENT_PATH } from '../../server/hub/hub.ts';
import { REPO_ROOT } from '../agent/agent-process.ts';
import { onPath, requirement, rootUsable, skipUnless } from '../helpers/skips.ts';
import {
  DETOUR_OUTPUT,
  getJson,
  isType,
  resultMessage,
  TestClient,
} from '../integration/coordinator-harness.ts';

const run = promisify(execFile);
const BIN = path.join(REPO_ROOT, 'bin/detourwatch.js');
const TOOLS = ['unshare', 'nsenter', 'mount', 'dd'];
const FULL_LINE = /store: the disk holding (\S+) is full: not acknowledging results until it has room/g;
const RECOVERED_LINE = /store: writable again after \d+ s: acknowledging results/g;

let child: ChildProcess;
let output = '';
let dir: string;
let url: string;
let client: TestClient & { agentId: string };
let operatorKey: string;

/** Runs a command inside the coordinator's mount namespace. */
function inNamespace(file: string, args: string[]): Promise<{ stdout: string }> {
  return run('nsenter', ['-t', String(child.pid), '-m', file, ...args], { cwd: REPO_ROOT });
}

async function token(role: 'agent' | 'operator'): Promise<string> {
  const args = [BIN, 'token', 'create', '--name', `${role}-1`, '--data', dir, '--role', role];
  const { stdout } = await inNamespace(process.execPath, args);
  const last = stdout.trim().split('\n').at(-1)?.trim();
  if (!last) throw new Error(`token create printed nothing:\n${stdout}`);
  return last;
}

/** Waits (bounded) until `check` holds. */
async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; coordinator log:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Asks for one measurement and waits for the task it sends the client (rate limits answered by waiting). */
async function requestTask(): Promise<TaskMessage> {
  const before = client.messages.filter(isType('task')).length;
  for (;;) {
    const response = await fetch(`${url}/api/v1/measurements`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${operatorKey}` },
      body: JSON.stringify({ agentId: client.agentId, target: '192.0.2.50' }),
    });
    await response.text();
    if (response.status === 202) break;
    if (response.status !== 429) throw new Error(`POST /api/v1/measurements answered ${response.status}`);
    await new Promise((resolve) => setTimeout(resolve, 600));
  }
  await until('the task', () => client.messages.filter(isType('task')).length > before);
  return client.messages.filter(isType('task'))[before] as TaskMessage;
}

/** Sends a result and waits for the next ack of its id. */
async function send(result: ReturnType<typeof resultMessage>): Promise<AckMessage> {
  const seen = client.messages.length;
  client.send(result);
  let ack: AckMessage | undefined;
  await until(`an ack for ${result.resultId}`, () => {
    ack = client.messages
      .slice(seen)
      .find((m): m is AckMessage => m.type === 'ack' && m.resultId === result.resultId);
    return ack !== undefined;
  });
  return ack as AckMessage;
}

async function storedResultIds(): Promise<Set<string>> {
  const { status, body } = await getJson(`${url}/api/v1/traces?limit=200`);
  expect(status, JSON.stringify(body)).toBe(200);
  return new Set((body as { traces: { resultId: string | null }[] }).traces.map((t) => String(t.resultId)));
}

const tools = requirement(
  TOOLS.every((tool) => onPath(tool)),
  'no unshare/nsenter/mount/dd',
  `it needs ${TOOLS.join(', ')} (util-linux, coreutils)`,
);

describe('a full disk under the store', skipUnless('the disk-full fault test', rootUsable(), tools), () => {
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'dw-disk-full-'));
    // `exec`: the coordinator keeps the PID of the namespace's first process, so nsenter -t PID finds it.
    const script =
      'mount -t tmpfs -o size=4m tmpfs "$0" && exec "$1" "$2" serve --host 127.0.0.1 --port 0 --data "$0" --no-schedule';
    child = spawn(
      'unshare',
      ['-m', '--propagation', 'private', 'sh', '-c', script, dir, process.execPath, BIN],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    await until('serve to listen', () => /listening on http:\/\/127\.0\.0\.1:\d+/.test(output), 30_000);
    url = `http://127.0.0.1:${/listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1]}`;
    const agentToken = await token('agent');
    operatorKey = await token('operator');
    client = await TestClient.connect(`${url.replace('http', 'ws')}${AGENT_PATH}`, agentToken, {
      limits: { maxConcurrent: 50, maxPerMinute: 600 },
    });
  }, 60_000);

  afterAll(async () => {
    client?.close();
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    // The tmpfs went with the namespace; only the empty mount point is left here.
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers retry with STORE_FULL while full, keeps serving reads, logs once, and resumes when space returns', async () => {
    const tasks: TaskMessage[] = [];
    for (let i = 0; i < 6; i++) tasks.push(await requestTask());
    const answer = (task: TaskMessage) =>
      resultMessage(DETOUR_OUTPUT, { taskId: task.taskId, resultId: `disk-full-${task.taskId}` });
    const results = tasks.map((task) => ({ ...answer(task), target: task.target }));
    const [first, ...rest] = results;
    if (!first) throw new Error('no task');

    // With room: stored.
    expect((await send(first)).status).toBe('stored');

    // Fill the tmpfs to the last block (dd stops at ENOSPC).
    await inNamespace('sh', ['-c', `dd if=/dev/zero of="${dir}/filler" bs=64k 2>/dev/null; true`]);
    const full: AckMessage[] = [];
    for (const result of rest) full.push(await send(result));
    // The WAL may still have had room for a write or two; everything after is refused with the code.
    const retries = full.filter((a) => a.status === 'retry');
    expect(retries.length).toBeGreaterThanOrEqual(3);
    for (const ack of retries) {
      expect(ack).toMatchObject({ status: 'retry', code: 'STORE_FULL' });
      if (ack.status === 'retry') expect(ack.retryAfterMs).toBeGreaterThanOrEqual(30_000);
    }
    // A result sent again while still full is refused again (not stripped and stored raw).
    const again = results.find((r) => retries.some((a) => a.resultId === r.resultId));
    if (!again) throw new Error('no retried result');
    expect(await send(again)).toMatchObject({ status: 'retry', code: 'STORE_FULL' });

    // Reads go on.
    expect((await getJson(`${url}/healthz`)).status).toBe(200);
    const storedWhileFull = await storedResultIds();
    for (const ack of retries) expect(storedWhileFull.has(ack.resultId)).toBe(false);
    const fullLines = [...output.matchAll(FULL_LINE)];
    expect(fullLines).toHaveLength(1);
    expect(fullLines[0]?.[1]).toBe(dir);

    // Room again: the same results are stored, without a restart, and the recovery is logged once.
    await inNamespace('rm', ['-f', `${dir}/filler`]);
    for (const ack of retries) {
      const result = results.find((r) => r.resultId === ack.resultId);
      if (!result) throw new Error(`no result ${ack.resultId}`);
      expect((await send(result)).status).toBe('stored');
    }
    expect([...output.matchAll(RECOVERED_LINE)]).toHaveLength(1);
    expect([...output.matchAll(FULL_LINE)]).toHaveLength(1);

    // Nothing was acknowledged that is not stored: every `stored` ack has its row.
    const stored = await storedResultIds();
    const acked = client.messages.filter((m): m is AckMessage => m.type === 'ack' && m.status === 'stored');
    expect(acked.length).toBeGreaterThanOrEqual(1 + retries.length);
    for (const ack of acked) expect(stored.has(ack.resultId)).toBe(true);
  }, 60_000);
});
