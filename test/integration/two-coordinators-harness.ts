/**
 * For test/integration/two-coordinators.test.ts: `detourwatch serve` processes on one PostgreSQL database,
 * a load balancer of its own (a TCP forwarder to the first upstream that accepts, as an operator's proxy
 * with health checks does), and hand-written protocol agents that answer the tasks they are sent.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { type CoordinatorMessage, parseCoordinatorMessage } from '../../protocol/messages.ts';
import { REPO_ROOT } from '../agent/agent-process.ts';
import { helloMessage } from './coordinator-harness.ts';

const BIN = path.join(REPO_ROOT, 'bin/detourwatch.js');

export interface ServeProcess {
  name: string;
  child: ChildProcess;
  url: string;
  agentUrl: string;
  port: number;
  output(): string;
  exited: Promise<unknown>;
}

/** `serve ARGS` on 127.0.0.1:0; resolves once it prints where it listens. */
export async function startServeProcess(
  name: string,
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs = 45_000,
): Promise<ServeProcess> {
  const child = spawn(process.execPath, [BIN, 'serve', '--host', '127.0.0.1', '--port', '0', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${name} exited before listening:\n${output}`));
    });
  });
  return {
    name,
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    agentUrl: `ws://127.0.0.1:${port}/api/v1/agent`,
    output: () => output,
    exited,
  };
}

export async function killProcess(
  p: { child: ChildProcess; exited: Promise<unknown> } | undefined,
): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGKILL');
  await p.exited;
}

/** `detourwatch ARGS` to the end; its stdout. */
export async function cli(args: readonly string[], env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [BIN, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
  });
  return stdout;
}

/** A token made by `token create --database`: its last line. */
export async function tokenFor(
  database: string,
  name: string,
  extra: readonly string[] = [],
): Promise<string> {
  const out = await cli(['token', 'create', '--name', name, '--database', database, ...extra]);
  return out.trim().split('\n').at(-1)?.trim() ?? '';
}

/**
 * A load balancer on 127.0.0.1: each new connection goes to the first upstream port that accepts it, so
 * agents behind it land on the first coordinator while it lives, and on the next once it is gone.
 */
export async function startBalancer(
  upstreams: () => readonly number[],
): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    client.pause();
    const ports = [...upstreams()];
    const next = () => {
      const port = ports.shift();
      if (port === undefined) {
        client.destroy();
        return;
      }
      const upstream = createConnection({ host: '127.0.0.1', port });
      upstream.once('error', () => {
        upstream.destroy();
        next();
      });
      upstream.once('connect', () => {
        upstream.removeAllListeners('error');
        sockets.add(upstream);
        upstream.on('error', () => client.destroy());
        upstream.on('close', () => {
          sockets.delete(upstream);
          client.destroy();
        });
        client.on('close', () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    };
    next();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Polls `check` until it answers something other than undefined. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A protocol client that answers the tasks for `target` it is sent with `output`, and declines the others. */
export class AnsweringAgent {
  readonly messages: CoordinatorMessage[] = [];
  agentId = '';
  readonly #ws: WebSocket;
  readonly #answered = new Set<string>();
  readonly #sent = new Map<string, string>();

  private constructor(ws: WebSocket, target: string, output: string) {
    this.#ws = ws;
    ws.on('error', () => {});
    ws.on('message', (data) => {
      const m = parseCoordinatorMessage(String(data));
      this.messages.push(m);
      // Like the agent's outbox: a `retry` ack means send the same result again after the delay.
      if (m.type === 'ack' && m.status === 'retry') {
        const again = this.#sent.get(m.resultId);
        if (again) setTimeout(() => ws.send(again), m.retryAfterMs ?? 500).unref();
        return;
      }
      if (m.type !== 'task' || this.#answered.has(m.taskId)) return;
      this.#answered.add(m.taskId);
      // The schedule's other targets: declined at once, so they do not hold the agent's concurrency.
      if (m.target !== target) {
        ws.send(
          JSON.stringify({
            type: 'task-failed',
            taskId: m.taskId,
            code: 'ENGINE_FAILED',
            message: 'not here',
          }),
        );
        return;
      }
      const result = JSON.stringify({
        type: 'result',
        resultId: `r-${m.taskId}`,
        taskId: m.taskId,
        target,
        engine: 'traceroute',
        output,
        startedAt: new Date().toISOString(),
        durationMs: 900,
      });
      this.#sent.set(`r-${m.taskId}`, result);
      ws.send(result);
    });
  }

  static async connect(
    url: string,
    token: string,
    localAddress: string,
    target: string,
    output: string,
  ): Promise<AnsweringAgent> {
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` }, localAddress });
    const agent = new AnsweringAgent(ws, target, output);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.send(JSON.stringify(helloMessage()));
    const welcome = await until('the welcome', () => agent.messages.find((m) => m.type === 'welcome'));
    agent.agentId = welcome.type === 'welcome' ? welcome.agentId : '';
    return agent;
  }

  /** The final ack of the answer to `taskId` (not a `retry`, which is answered by sending it again). */
  ackOf(taskId: string): CoordinatorMessage | undefined {
    return this.messages.find(
      (m) => m.type === 'ack' && m.resultId === `r-${taskId}` && m.status !== 'retry',
    );
  }

  close(): void {
    this.#ws.terminate();
  }
}
