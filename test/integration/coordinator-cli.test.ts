import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CliIo } from '../../cli/io.ts';
import { main } from '../../cli/main.ts';
import { CloseCode } from '../../protocol/messages.ts';
import { DATABASE_FILE } from '../../server/store/sqlite/open.ts';
import {
  ackFor,
  DOMESTIC_OUTPUT,
  getJson,
  isType,
  postJson,
  resultMessage,
  TestClient,
} from './coordinator-harness.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/detourwatch.js');

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'detourwatch-cli-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function run(args: string[]): Promise<{ status: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => {
    out += d;
  });
  stderr.on('data', (d) => {
    err += d;
  });
  const io: CliIo = { stdin: new PassThrough(), stdout, stderr, isTty: false };
  const status = await main(args, io);
  return { status, out, err };
}

async function createToken(name: string, role = 'agent'): Promise<{ id: number; token: string }> {
  const { status, out } = await run(['token', 'create', '--name', name, '--role', role, '--data', dir]);
  expect(status).toBe(0);
  const lines = out.trimEnd().split('\n');
  const id = Number(/#(\d+)/.exec(out)?.[1]);
  return { id, token: lines[lines.length - 1] ?? '' };
}

describe('detourwatch token', () => {
  it('create prints the token alone on its last line; list never shows it; revoke marks it', async () => {
    const { id, token } = await createToken('pdx volunteer');
    expect(token).toMatch(/^dwt_[A-Za-z0-9_-]{43}$/);
    const listed = await run(['token', 'list', '--data', dir]);
    expect(listed.status).toBe(0);
    expect(listed.out).toMatch(
      new RegExp(`^${id}\\s+agent\\s+pdx volunteer\\s+-\\s+\\d{4}-\\d\\d-\\d\\dT\\S+\\s+-$`, 'm'),
    );
    expect(listed.out).not.toContain(token);
    expect((await run(['token', 'revoke', String(id), '--data', dir])).status).toBe(0);
    const after = await run(['token', 'list', '--data', dir]);
    expect(after.out).toMatch(
      new RegExp(`^${id}\\s+agent\\s+pdx volunteer\\s+-\\s+\\S+\\s+\\d{4}-\\d\\d-\\d\\dT`, 'm'),
    );
    expect((await run(['token', 'revoke', String(id), '--data', dir])).out).toMatch(/already revoked/);
  });

  it('explains mistakes', async () => {
    const noName = await run(['token', 'create', '--data', dir]);
    expect(noName.status).toBe(2);
    expect(noName.err).toMatch(/--name/);
    const unknown = await run(['token', 'revoke', '999', '--data', dir]);
    expect(unknown.status).toBe(1);
    const missing = await run(['token', 'list', '--data', path.join(dir, 'nowhere')]);
    expect(missing.status).toBe(1);
    expect(missing.err).toMatch(/no detourwatch database/);
    const badSub = await run(['token', 'rotate']);
    expect(badSub.status).toBe(2);
  });
});

describe('detourwatch serve: configuration', () => {
  it('reports every problem at once', async () => {
    const { status, err } = await run([
      'serve',
      '--port',
      'eighty',
      '--km-per-ms',
      '-5',
      '--interval',
      'soon',
      '--home-country',
      'USA',
      '--targets',
      path.join(dir, 'missing.txt'),
      '--bogus',
    ]);
    expect(status).toBe(2);
    for (const flag of ['--port', '--km-per-ms', '--interval', '--home-country', '--targets', '--bogus']) {
      expect(err).toContain(flag);
    }
  });
});

/** Starts `detourwatch serve` as a child process and resolves with the URL it printed. */
function startServe(args: string[]): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(output);
      if (match?.[1]) resolve({ child, url: match[1], output: () => output });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`serve exited with ${code} before listening:\n${output}`)));
  });
}

describe('detourwatch serve: a real process', () => {
  it('starts on port 0, prints how to connect, stores a result, and shuts down cleanly on SIGTERM', async () => {
    const { token } = await createToken('child-test');
    const { token: operatorKey } = await createToken('child-test-operator', 'operator');
    const { child, url, output } = await startServe([
      '--port',
      '0',
      '--data',
      dir,
      '--no-schedule',
      '--heartbeat',
      '500ms',
    ]);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      expect(output()).toContain(path.join(dir, DATABASE_FILE));
      expect(output()).toContain(`npx detourwatch token create --name NAME --data ${dir}`);
      expect(output()).toContain(
        `npx --yes ${url}/agent/detourwatch-agent.tgz --server ${url.replace('http', 'ws')} --location LAT,LON`,
      );
      expect(output()).toContain(`agent page (instructions and package for volunteers): ${url}/agent/`);
      expect(output()).toMatch(/^analysis: /m);

      const refused = new TestClient(`${url.replace('http', 'ws')}/api/v1/agent`, 'dwt_wrong');
      expect((await refused.closed).code).toBe(CloseCode.authFailed);

      const client = await TestClient.connect(`${url.replace('http', 'ws')}/api/v1/agent`, token);
      // serve takes a result only as the answer to a task it issued to that agent (issue 11).
      const asked = await postJson(
        `${url}/api/v1/measurements`,
        { agentId: client.agentId, target: '192.0.2.50' },
        operatorKey,
      );
      expect(asked.status).toBe(202);
      const task = await client.waitFor(isType('task'), 10_000);
      const result = resultMessage(DOMESTIC_OUTPUT, { taskId: task.taskId });
      client.send(result);
      expect((await client.waitFor(ackFor(result.resultId), 10_000)).status).toBe('stored');
      const traces = (await getJson(`${url}/api/v1/traces`)).body as {
        traces: { resultId: string; verdict: string }[];
      };
      expect(traces.traces.map((x) => x.resultId)).toContain(result.resultId);

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect((await client.closed).code).toBe(1001);
      expect(output()).toMatch(/SIGTERM: shutting down/);
      const db = new Database(path.join(dir, DATABASE_FILE), { readonly: true });
      const connected = db.prepare('SELECT COUNT(*) FROM agents WHERE connected = 1').pluck().get();
      db.close();
      expect(connected).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
