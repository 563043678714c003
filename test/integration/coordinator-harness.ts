/**
 * Shared by the coordinator's tests: a real coordinator on 127.0.0.1:0 over a real SQLite store in a temp
 * directory, and a protocol client written here (not the agent) so tests can misbehave on purpose.
 *
 * `standInAnalyze` stands in for server/analyze/pipeline.ts until it lands: a pure function that judges a
 * trace from its addresses alone (203.0.113.0/24 counts as CN, everything else as US). The coordinator only
 * stores what the analysis returns, so these tests exercise the real ingest path either way.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import type { SourcePosition } from '../../protocol/annotated.ts';
import {
  type AgentLimits,
  type CoordinatorMessage,
  type EngineName,
  parseCoordinatorMessage,
} from '../../protocol/messages.ts';
import type { Trace } from '../../protocol/trace.ts';
import type { HopReading, Verdict } from '../../protocol/verdict.ts';
import { AGENT_VERSION, PROTOCOL_VERSION } from '../../protocol/version.ts';
import { DEFAULT_TARGETS_FILE } from '../../server/config/serve-config.ts';
import { type Coordinator, type CoordinatorOptions, startCoordinator } from '../../server/coordinator.ts';
import { parseTraces } from '../../server/parse/index.ts';
import { openSqliteStore } from '../../server/store/sqlite-store.ts';
import type { Store } from '../../server/store/store.ts';
import { generateToken, hashToken } from '../../server/store/tokens.ts';

const FOREIGN_PREFIX = '203.0.113.';

export function standInAnalyze(trace: Trace, _position: SourcePosition | null): Verdict {
  const hops: HopReading[] = trace.hops.map((hop) => {
    const answered = hop.replies.filter((r) => r.address !== null);
    const ip = answered[0]?.address ?? null;
    const rtts = answered.flatMap((r) => (r.rttMs === null ? [] : [r.rttMs]));
    const country = ip === null ? null : ip.startsWith(FOREIGN_PREFIX) ? 'CN' : 'US';
    return {
      ttl: hop.ttl,
      ip,
      status: ip === null ? 'no-reply' : country === 'CN' ? 'foreign-probable' : 'home',
      country,
      rttMs: rtts.length > 0 ? Math.min(...rtts) : null,
      minRttMs: null,
      name: null,
      asn: country === 'CN' ? 4134 : country === 'US' ? 7018 : null,
      org: null,
      city: null,
      lat: null,
      lon: null,
      precision: null,
      database: null,
    };
  });
  const foreignHops = hops.flatMap((h) =>
    h.country === 'CN' && h.ip !== null
      ? [
          {
            ttl: h.ttl,
            ip: h.ip,
            country: 'CN',
            asn: 4134,
            org: null,
            city: null,
            lat: 30.3,
            lon: 120.2,
            precision: 'city' as const,
            rttMs: h.rttMs,
            minRttMs: 100,
            confirmed: false,
          },
        ]
      : [],
  );
  const answered = hops.some((h) => h.ip !== null);
  const verdict = !answered ? 'inconclusive' : foreignHops.length > 0 ? 'detour' : 'domestic';
  return {
    verdict,
    confidence: verdict === 'detour' ? 'probable' : null,
    homeCountry: 'US',
    source: { ip: trace.source.address, country: 'US' },
    destination: { ip: trace.destination.address, country: 'US' },
    countries: [...new Set(hops.flatMap((h) => (h.country ? [h.country] : [])))],
    foreignAsns: foreignHops.length > 0 ? [4134] : [],
    foreignHops,
    refutedHops: [],
    extraKm: null,
    reason: `stand-in: ${foreignHops.length} hops in ${FOREIGN_PREFIX}0/24`,
    hops,
  };
}

/** Real traceroute text (the format Debian's traceroute 2.1 prints with -n). */
export function tracerouteOutput(target: string, hops: string[]): string {
  const lines = hops.map((h, i) => `${String(i + 1).padStart(2)}  ${h}`);
  return `traceroute to ${target} (${target}), 30 hops max, 60 byte packets\n${lines.join('\n')}\n`;
}

export const DETOUR_OUTPUT = tracerouteOutput('192.0.2.50', [
  '10.0.0.1  0.443 ms  0.352 ms  0.340 ms',
  '203.0.113.7  90.123 ms  91.2 ms *',
  '* * *',
  '192.0.2.50  95.5 ms  95.4 ms  95.3 ms',
]);

export const DOMESTIC_OUTPUT = tracerouteOutput('198.51.100.20', [
  '10.0.0.1  0.4 ms  0.3 ms  0.3 ms',
  '198.51.100.20  12.5 ms  12.4 ms  12.3 ms',
]);

export interface TestCoordinator {
  coordinator: Coordinator;
  store: Store;
  dataDir: string;
  logs: string[];
  /** A new valid token (stored as its hash). */
  token(name?: string): Promise<{ id: number; token: string }>;
  close(): Promise<void>;
}

export async function startTestCoordinator(
  overrides: Partial<CoordinatorOptions> = {},
): Promise<TestCoordinator> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'detourwatch-coordinator-'));
  const store = openSqliteStore({ dataDir, create: true });
  const logs: string[] = [];
  const coordinator = await startCoordinator({
    store,
    analyze: standInAnalyze,
    parseTraces,
    host: '127.0.0.1',
    port: 0,
    targetsFile: DEFAULT_TARGETS_FILE,
    watchTargets: false,
    schedule: false,
    intervalMs: 60_000,
    heartbeatMs: 5000,
    log: (line) => logs.push(line),
    ...overrides,
  });
  let tokens = 0;
  return {
    coordinator,
    store,
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
      rmSync(dataDir, { recursive: true, force: true });
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
    location: overrides.location === undefined ? { lat: 37.77, lon: -122.42 } : overrides.location,
    limits: overrides.limits ?? { maxConcurrent: 2, maxPerMinute: 60 },
    pending: 0,
  };
}

let resultCounter = 0;

export function resultMessage(output: string, extra: { resultId?: string; taskId?: string | null } = {}) {
  resultCounter += 1;
  return {
    type: 'result',
    resultId: extra.resultId ?? `test-result-${process.pid}-${resultCounter}-${Date.now()}`,
    taskId: extra.taskId ?? null,
    target: '192.0.2.50',
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

export async function postJson(url: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}
