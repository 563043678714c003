/**
 * A small coordinator that speaks the real protocol on a real socket (127.0.0.1), for tests that need to
 * refuse, withhold acks or die at exact moments. What it stores lives in a FakeStore the test keeps, so a
 * "restarted" coordinator remembers what the killed one stored, as the real one's database does.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import type { HelloMessage, ResultMessage, TaskFailedMessage } from '../../protocol/messages.ts';
import { CloseCode, MAX_MESSAGE_BYTES, parseAgentMessage } from '../../protocol/messages.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';

/** ack: store and acknowledge; store-no-ack: store but never answer (the ack is "lost"); ignore: neither. */
export type AckMode = 'ack' | 'store-no-ack' | 'ignore';

export class FakeStore {
  /** Every result frame received, duplicates included, in arrival order. */
  readonly received: ResultMessage[] = [];
  /** Results stored, by resultId: storing one twice is the bug the tests look for. */
  readonly stored = new Map<string, ResultMessage>();
  readonly storeCounts = new Map<string, number>();
  readonly taskFailed: TaskFailedMessage[] = [];
  readonly hellos: HelloMessage[] = [];

  store(result: ResultMessage): 'stored' | 'duplicate' {
    this.received.push(result);
    if (this.stored.has(result.resultId)) return 'duplicate';
    this.stored.set(result.resultId, result);
    this.storeCounts.set(result.resultId, (this.storeCounts.get(result.resultId) ?? 0) + 1);
    return 'stored';
  }
}

export interface FakeCoordinatorOptions {
  store: FakeStore;
  port?: number;
  tokens?: readonly string[];
  /** The protocol version this coordinator speaks; others are refused with 4002. */
  protocolVersion?: number;
  heartbeatMs?: number;
  ackMode?: AckMode;
}

export class FakeCoordinator {
  ackMode: AckMode;
  /** Close codes of the agent connections that ended, as this side saw them. */
  readonly closeCodes: number[] = [];
  private taskCounter = 0;
  private readonly sockets = new Set<WebSocket>();
  /** Connections that get no answer any more, pings included (see goSilent). */
  private readonly silenced = new WeakSet<WebSocket>();
  private welcomed: WebSocket | null = null;

  private constructor(
    private readonly server: http.Server,
    private readonly wss: WebSocketServer,
    readonly options: FakeCoordinatorOptions,
  ) {
    this.ackMode = options.ackMode ?? 'ack';
  }

  static async start(options: FakeCoordinatorOptions): Promise<FakeCoordinator> {
    const server = http.createServer((_req, res) => {
      res.writeHead(404).end();
    });
    const wss = new WebSocketServer({
      server,
      path: '/api/v1/agent',
      maxPayload: MAX_MESSAGE_BYTES,
      autoPong: false,
    });
    const fake = new FakeCoordinator(server, wss, options);
    wss.on('connection', (ws, req) => fake.accept(ws, req.headers.authorization));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    return fake;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  get connected(): boolean {
    return this.welcomed !== null && this.welcomed.readyState === WebSocket.OPEN;
  }

  /** Sends a task to the welcomed agent; returns its id. */
  sendTask(target: string): string {
    if (!this.welcomed) throw new Error('no agent connected');
    const taskId = `task-${++this.taskCounter}`;
    this.welcomed.send(JSON.stringify({ type: 'task', taskId, target }));
    return taskId;
  }

  /** Sends an arbitrary frame to the welcomed agent (for malformed-message tests). */
  sendRaw(data: string | Buffer): void {
    if (!this.welcomed) throw new Error('no agent connected');
    this.welcomed.send(data);
  }

  /**
   * The connections open now stop answering anything, pings included, without closing (a hung coordinator
   * or a dead path). Connections made later are answered as usual.
   */
  goSilent(): void {
    for (const ws of this.sockets) this.silenced.add(ws);
  }

  /** Every connection cut without a close frame (a reset); the coordinator goes on listening. */
  cutOff(): void {
    for (const ws of this.sockets) ws.terminate();
  }

  /** A crash: every socket cut without a close frame, the listener gone. */
  async kill(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(ws: WebSocket, authorization: string | undefined): void {
    this.sockets.add(ws);
    ws.on('close', (code) => {
      this.closeCodes.push(code);
      this.sockets.delete(ws);
      if (this.welcomed === ws) this.welcomed = null;
    });
    const tokens = this.options.tokens ?? ['good-token'];
    if (!tokens.some((t) => authorization === `Bearer ${t}`)) {
      ws.close(CloseCode.authFailed, 'unknown or revoked token');
      return;
    }
    ws.on('message', (data) => {
      if (this.silenced.has(ws)) return;
      const msg = parseAgentMessage(data.toString());
      const { store } = this.options;
      if (msg.type === 'hello') {
        store.hellos.push(msg);
        const speaks = this.options.protocolVersion ?? PROTOCOL_VERSION;
        if (msg.protocolVersion !== speaks) {
          // Like the real hub: the full explanation in an error message, a short close reason.
          const explanation =
            `this coordinator speaks protocol ${speaks} only; the agent said ${msg.protocolVersion}. ` +
            'Install the detourwatch release the coordinator runs; the operator can tell you which one that is.';
          ws.send(JSON.stringify({ type: 'error', code: 'VERSION_INCOMPATIBLE', message: explanation }));
          ws.close(CloseCode.versionIncompatible, explanation.slice(0, 120));
          return;
        }
        this.welcomed = ws;
        ws.send(
          JSON.stringify({
            type: 'welcome',
            agentId: 'agent-1',
            name: 'test agent',
            protocolVersion: speaks,
            heartbeatMs: this.options.heartbeatMs ?? 10_000,
          }),
        );
      } else if (msg.type === 'result') {
        if (this.ackMode === 'ignore') return;
        const status = store.store(msg);
        if (this.ackMode === 'ack') ws.send(JSON.stringify({ type: 'ack', resultId: msg.resultId, status }));
      } else {
        store.taskFailed.push(msg);
      }
    });
    // autoPong is off so that a silent coordinator really is silent.
    ws.on('ping', (data) => {
      if (!this.silenced.has(ws)) ws.pong(data);
    });
  }
}

/** Polls until `predicate` holds; fails with `what` after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
