/**
 * Shared by the coordinator's tests: the real coordinator as `serve` assembles it (server/coordinator.ts, from
 * serve's own option reader and defaults: history, the map and the API included) on 127.0.0.1:0 over a real
 * SQLite store in a temp directory, the real analysis over the test world's databases
 * (test/helpers/analyze-world.ts), and a protocol client written here (not the agent) so tests can misbehave
 * on purpose.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import {
  type AgentLimits,
  type CoordinatorMessage,
  type EngineName,
  parseCoordinatorMessage,
} from '../../protocol/messages.ts';
import { AGENT_VERSION, PROTOCOL_VERSION } from '../../protocol/version.ts';
import type { Analyzer } from '../../server/analyze/pipeline.ts';
import { loadServeOptions } from '../../server/config/serve-config.ts';
import {
  type Coordinator,
  type CoordinatorOptions,
  serveSettings,
  startCoordinator,
} from '../../server/coordinator.ts';
import { greatCircleKm, type LatLon } from '../../server/physics/great-circle.ts';
import { COORDINATOR_BUSY_TIMEOUT_MS } from '../../server/store/open-store.ts';
import { openSqliteStore } from '../../server/store/sqlite/open.ts';
import type { Store } from '../../server/store/store.ts';
import { generateToken, hashToken } from '../../server/store/tokens.ts';
import { CITIES, createWorldAnalyzer } from '../helpers/analyze-world.ts';

const UNLIMITED = { ratePerSecond: 1e9, burst: 1e9 };

/** Where test agents say they are (San Francisco), in their hello unless a test says otherwise. */
export const AGENT_LOCATION = { lat: 37.77, lon: -122.42 };

let analyzer: Analyzer | null = null;

/** One analyzer per test file (each file runs in its own module graph): the default of startTestCoordinator. */
export function worldAnalyzer(): Analyzer {
  analyzer ??= createWorldAnalyzer();
  return analyzer;
}

/** Real traceroute text (the format Debian's traceroute 2.1 prints with -n). */
export function tracerouteOutput(target: string, hops: string[]): string {
  const lines = hops.map((h, i) => `${String(i + 1).padStart(2)}  ${h}`);
  return `traceroute to ${target} (${target}), 30 hops max, 60 byte packets\n${lines.join('\n')}\n`;
}

/** The least RTT (ms) a reply from `at` can have, seen from AGENT_LOCATION: light in fibre, there and back. */
const leastRttMs = (at: LatLon) => greatCircleKm(AGENT_LOCATION, at) / 100;
const ms = (rtt: number) => `${rtt.toFixed(1)} ms`;
const viaShanghai = leastRttMs(CITIES.shanghai) + 20;

/**
 * From AGENT_LOCATION to San Jose (192.0.2.0/26 in the world) through a Shanghai router of AS4134
 * (198.51.100.0/25), 20 ms slower than light needs: a detour to CN that no RTT refutes.
 */
export const DETOUR_OUTPUT = tracerouteOutput('192.0.2.50', [
  '10.0.0.1  0.443 ms  0.352 ms  0.340 ms',
  `198.51.100.7  ${ms(viaShanghai)}  ${ms(viaShanghai + 1.1)} *`,
  '* * *',
  `192.0.2.50  ${ms(2 * viaShanghai)}  ${ms(2 * viaShanghai + 0.1)}  ${ms(2 * viaShanghai + 0.2)}`,
]);

/** From AGENT_LOCATION straight to the same San Jose target as DETOUR_OUTPUT: domestic. */
export const DOMESTIC_OUTPUT = tracerouteOutput('192.0.2.50', [
  '10.0.0.1  0.4 ms  0.3 ms  0.3 ms',
  `192.0.2.50  ${ms(leastRttMs(CITIES.sanJose) + 2)}  ${ms(leastRttMs(CITIES.sanJose) + 2.1)}  ${ms(leastRttMs(CITIES.sanJose) + 2)}`,
]);

export interface TestCoordinator {
  coordinator: Coordinator;
  store: Store;
  /** An operator API key (POST /api/v1/measurements needs one). */
  operatorKey: string;
  dataDir: string;
  logs: string[];
  /** A new valid token (stored as its hash). */
  token(name?: string): Promise<{ id: number; token: string }>;
  close(): Promise<void>;
}

/** What a test may set: any option of the coordinator but its store (each test coordinator has its own). */
export type TestCoordinatorOptions = Partial<Omit<CoordinatorOptions, 'store'>>;

/**
 * `serve --host 127.0.0.1 --port 0 --no-schedule` over a fresh store, with the test world's analysis, then
 * the test's `overrides`. The store lives in `where.dataDir` when given (the test removes it), else in a
 * temp directory removed by close().
 */
export async function startTestCoordinator(
  overrides: TestCoordinatorOptions = {},
  where: { dataDir?: string } = {},
): Promise<TestCoordinator> {
  const dataDir = where.dataDir ?? mkdtempSync(path.join(tmpdir(), 'detourwatch-coordinator-'));
  const store = openSqliteStore({ dataDir, create: true, busyTimeoutMs: COORDINATOR_BUSY_TIMEOUT_MS });
  const logs: string[] = [];
  const { config, history } = loadServeOptions(
    ['--host', '127.0.0.1', '--port', '0', '--no-schedule', '--data', dataDir],
    {},
  );
  let coordinator: Coordinator;
  try {
    coordinator = await startCoordinator({
      store,
      log: (line) => logs.push(line),
      ...serveSettings(config, history),
      // These tests send results on their own, not as answers to tasks; test/integration/trust-*.test.ts
      // turn the check back on, as serve always has it.
      enforceTasks: false,
      // Suites send hundreds of requests from 127.0.0.1; trust-access.test.ts tests the limits themselves.
      rateLimits: { read: UNLIMITED, write: UNLIMITED },
      ...overrides,
      // Only a test bringing its own world skips loading this one.
      analyzer: overrides.analyzer ?? worldAnalyzer(),
    });
  } catch (err) {
    await store.close();
    if (where.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  let tokens = 0;
  const operatorKey = generateToken();
  await store.createToken('test-operator', hashToken(operatorKey), new Date().toISOString(), {
    role: 'operator',
  });
  return {
    coordinator,
    store,
    operatorKey,
    dataDir,
    logs,
    async token(name = `agent-${++tokens}`) {
      const token = generateToken();
      const record = await store.createToken(name, hashToken(token), new Date().toISOString());
      return { id: record.id, token };
    },
    async close() {
      await coordinator.close();
      await store.close();
      if (where.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface HelloOverrides {
  protocolVersion?: number;
  engines?: EngineName[];
  location?: { lat: number; lon: number } | null;
  limits?: AgentLimits;
}

export function helloMessage(overrides: HelloOverrides = {}) {
  return {
    type: 'hello',
    protocolVersion: overrides.protocolVersion ?? PROTOCOL_VERSION,
    agentVersion: AGENT_VERSION,
    engines: overrides.engines ?? ['traceroute'],
    location: overrides.location === undefined ? AGENT_LOCATION : overrides.location,
    limits: overrides.limits ?? { maxConcurrent: 2, maxPerMinute: 60 },
    pending: 0,
  };
}

let resultCounter = 0;

/** The target a task for this traceroute output asked for: the address its first line names. */
function targetOf(output: string): string {
  return /^traceroute to \S+ \(([^)]+)\)/.exec(output)?.[1] ?? '192.0.2.50';
}

export function resultMessage(
  output: string,
  extra: { resultId?: string; taskId?: string | null; target?: string } = {},
) {
  resultCounter += 1;
  return {
    type: 'result',
    resultId: extra.resultId ?? `test-result-${process.pid}-${resultCounter}-${Date.now()}`,
    taskId: extra.taskId ?? null,
    target: extra.target ?? targetOf(output),
    engine: 'traceroute',
    output,
    startedAt: new Date().toISOString(),
    durationMs: 1234,
  };
}

/** A protocol client for tests: records every message and how the connection closed. */
export class TestClient {
  readonly ws: WebSocket;
  readonly messages: CoordinatorMessage[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly opened: Promise<void>;
  #waiters: (() => void)[] = [];

  constructor(url: string, token: string | null, options: { autoPong?: boolean } = {}) {
    this.ws = new WebSocket(url, {
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
      autoPong: options.autoPong ?? true,
    });
    this.ws.on('message', (data) => {
      this.messages.push(parseCoordinatorMessage(String(data)));
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.closed = new Promise((resolve) => {
      this.ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        for (const wake of this.#waiters.splice(0)) wake();
      });
    });
    this.ws.on('error', () => {});
  }

  /** Strings and buffers go as they are (a Buffer as a binary frame); anything else as JSON text. */
  send(message: unknown): void {
    this.ws.send(typeof message === 'string' || Buffer.isBuffer(message) ? message : JSON.stringify(message));
  }

  /** The first message (already received or still to come) that matches, or a failure after `timeoutMs`. */
  async waitFor<T extends CoordinatorMessage>(
    match: (m: CoordinatorMessage) => m is T,
    timeoutMs = 5000,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(match);
      if (found) return found;
      if (this.ws.readyState === WebSocket.CLOSED)
        throw new Error('connection closed before the message came');
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(this.messages)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Connects, says hello and waits for the welcome. */
  static async connect(
    url: string,
    token: string,
    hello: HelloOverrides = {},
  ): Promise<TestClient & { agentId: string }> {
    const client = new TestClient(url, token);
    await client.opened;
    client.send(helloMessage(hello));
    const welcome = await client.waitFor(isType('welcome'));
    return Object.assign(client, { agentId: welcome.agentId });
  }

  close(): void {
    this.ws.close();
  }
}

export function isType<K extends CoordinatorMessage['type']>(type: K) {
  return (m: CoordinatorMessage): m is Extract<CoordinatorMessage, { type: K }> => m.type === type;
}

export function ackFor(resultId: string) {
  return (m: CoordinatorMessage): m is Extract<CoordinatorMessage, { type: 'ack' }> =>
    m.type === 'ack' && m.resultId === resultId;
}

export async function getJson(url: string): Promise<{ status: number; body: unknown; text: string }> {
  const response = await fetch(url);
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text), text };
}

export async function postJson(
  url: string,
  body: unknown,
  operatorKey?: string,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(operatorKey === undefined ? {} : { authorization: `Bearer ${operatorKey}` }),
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}
