import { randomBytes } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { SourcePosition } from '../../protocol/annotated.ts';
import { DetourwatchError, describeError } from '../../protocol/errors.ts';
import {
  type AgentLimits,
  type AgentMessage,
  CloseCode,
  type CoordinatorMessage,
  type HelloMessage,
  parseAgentMessage,
  type ResultMessage,
  refusedAck,
  retryAck,
  slowDownMessage,
} from '../../protocol/messages.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import type { Ingest, IngestReply } from '../ingest/ingest.ts';
import type { AgentRecord } from '../store/agent-store.ts';
import type { Store } from '../store/store.ts';
import { claimedLocationProblem, packagedAirports } from '../trust/claimed-location.ts';
import { fitCloseReason } from './close-reason.ts';
import { type HubMetrics, REFUSAL_COUNTER } from './metrics.ts';
import type { TaskGate } from './task-gate.ts';

export interface SessionLimits {
  heartbeatMs: number;
  helloTimeoutMs: number;
  /** Malformed messages tolerated on one connection before it is closed. */
  maxErrors: number;
  /** Results of one agent awaiting their ack; beyond this its socket is paused (no reads) until acks drain. */
  maxPendingResults: number;
  /** Bytes queued towards an agent that does not read; beyond this it is cut off. */
  maxBufferedBytes: number;
  /**
   * A second connection with a connected agent's token: the first has this long to answer a ping. If it
   * does, the second is refused (4009); if not, it is taken for half-open and replaced.
   */
  livenessProbeMs: number;
}

/** What a session needs from the hub that owns it. */
export interface SessionContext {
  limits: SessionLimits;
  store: Store;
  ingest: Ingest;
  tasks: TaskGate;
  metrics: HubMetrics;
  now: () => Date;
  log: (line: string) => void;
  /**
   * A valid hello for this token: resolves true when this connection may go on (no other holds the token,
   * or the other failed a liveness ping and was replaced); false when it was refused.
   */
  claim(session: AgentSession): Promise<boolean>;
  /** Welcome sent: the agent is reachable for tasks. */
  activated(session: AgentSession): void;
  closed(session: AgentSession): void;
  /** The connection closed while its hello was being recorded: the store marked an agent connected. */
  abandoned(session: AgentSession, agentId: string): void;
  /** Sends on the agent's current connection (a replaced one may still be finishing an ack). */
  deliver(agentId: string, message: CoordinatorMessage, fallback: AgentSession): void;
  resultReceived(agentId: string, taskId: string | null): void;
  taskFailed(agentId: string, taskId: string): void;
}

type State = 'awaiting-hello' | 'registering' | 'active' | 'closed';

/** Messages that may arrive between hello and welcome (the store is writing the agent). */
const MAX_EARLY_MESSAGES = 64;

/**
 * One agent connection. Every handler is synchronous or fire-and-forget, so a slow or hostile agent can
 * only use up its own budgets (errors, pending results, send buffer), never hold up another socket. Every
 * handler runs inside `#guard`: one that throws closes this connection (1011), never the process.
 */
export class AgentSession {
  readonly ws: WebSocket;
  readonly tokenId: number;
  readonly tokenName: string;
  /** The address the socket came from, IPv4-mapped IPv6 unwrapped. */
  readonly address: string | null;
  agent: AgentRecord | null = null;
  limits: AgentLimits | null = null;
  lastSeen: Date;
  missedPongs = 0;
  #state: State = 'awaiting-hello';
  #ctx: SessionContext;
  #errors = 0;
  #pendingResults = 0;
  #paused = false;
  /** Until when (Date.now()) the agent was last told to slow down: one `slow-down` per delay, not per result. */
  #slowDownUntil = 0;
  #early: AgentMessage[] = [];
  #position: SourcePosition | null = null;
  #helloTimer: NodeJS.Timeout;

  constructor(
    ws: WebSocket,
    token: { id: number; name: string },
    address: string | null,
    ctx: SessionContext,
  ) {
    this.ws = ws;
    this.tokenId = token.id;
    this.tokenName = token.name;
    this.address = address;
    this.#ctx = ctx;
    this.lastSeen = ctx.now();
    this.#helloTimer = setTimeout(() => {
      this.close(CloseCode.protocolViolation, `no hello within ${ctx.limits.helloTimeoutMs} ms`);
    }, ctx.limits.helloTimeoutMs);
    ws.on('message', (data, isBinary) => this.#guard('a message', () => this.#onFrame(data, isBinary)));
    ws.on('pong', () => this.#alive());
    ws.on('close', () => this.#guard('the close', () => this.#onClose()));
    ws.on('error', (err: Error & { code?: string }) => {
      // ws closes the socket itself (1009 for an oversized frame); this only counts and logs.
      if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH')
        this.#ctx.metrics.count('oversized', this.agent?.id);
      else this.#ctx.metrics.count('malformed', this.agent?.id);
      this.#ctx.log(`hub: ${this.#label()}: ${err.message}`);
    });
  }

  get state(): State {
    return this.#state;
  }

  /** Whether more tasks may be queued towards this agent now (it reads what it is sent). */
  get acceptsTasks(): boolean {
    return this.#state === 'active' && this.ws.bufferedAmount < this.#ctx.limits.maxBufferedBytes / 4;
  }

  send(message: CoordinatorMessage): boolean {
    if (this.ws.readyState !== this.ws.OPEN) return false;
    if (this.ws.bufferedAmount > this.#ctx.limits.maxBufferedBytes) {
      this.#ctx.metrics.count('slowConsumers', this.agent?.id);
      this.#ctx.log(`hub: ${this.#label()} does not read what it is sent; disconnecting it`);
      this.ws.terminate();
      return false;
    }
    this.ws.send(JSON.stringify(message));
    return true;
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === this.ws.CLOSED || this.ws.readyState === this.ws.CLOSING) return;
    this.ws.close(code, fitCloseReason(reason));
  }

  /** The error message carries the full explanation; the close reason is cut to 123 bytes. */
  refuse(code: number, errorCode: string, message: string): void {
    this.send({ type: 'error', code: errorCode, message });
    this.close(code, message);
  }

  /** Whether the peer answers a ping of ours (matched by payload) within `timeoutMs`. */
  probeAlive(timeoutMs: number): Promise<boolean> {
    const { ws } = this;
    if (ws.readyState !== ws.OPEN) return Promise.resolve(false);
    return new Promise((resolve) => {
      const nonce = randomBytes(8);
      const done = (alive: boolean) => {
        clearTimeout(timer);
        ws.off('pong', onPong);
        ws.off('close', onClose);
        resolve(alive);
      };
      const onPong = (data: Buffer) => {
        if (nonce.equals(data)) done(true);
      };
      const onClose = () => done(false);
      const timer = setTimeout(() => done(false), timeoutMs);
      ws.on('pong', onPong);
      ws.on('close', onClose);
      ws.ping(nonce);
    });
  }

  /**
   * Runs one handler; if it throws, the bug costs this connection (1011, the agent reconnects and re-sends
   * what is unacknowledged), not the coordinator nor the other agents.
   */
  #guard(what: string, handler: () => void): void {
    try {
      handler();
    } catch (err) {
      this.#ctx.metrics.count('internalErrors', this.agent?.id);
      this.#ctx.log(
        `hub: ${this.#label()}: handling ${what} failed: ${describeError(err)}; closing the connection`,
      );
      this.close(CloseCode.internalError, `the coordinator failed handling ${what}; reconnect later`);
    }
  }

  #label(): string {
    return this.agent
      ? `agent ${this.agent.name} (${this.agent.id})`
      : `token #${this.tokenId} (${this.tokenName})`;
  }

  #alive(): void {
    this.missedPongs = 0;
    this.lastSeen = this.#ctx.now();
  }

  #onFrame(data: unknown, isBinary: boolean): void {
    this.#alive();
    // Frames still arriving while our close handshake runs are not answered, nor counted again.
    if (this.#state === 'closed' || this.ws.readyState !== this.ws.OPEN) return;
    let message: AgentMessage;
    try {
      if (isBinary || !Buffer.isBuffer(data)) {
        throw new DetourwatchError(
          'PROTOCOL_INVALID',
          'binary frames are not part of the protocol; send JSON text',
        );
      }
      message = parseAgentMessage(data.toString('utf8'));
    } catch (err) {
      this.#malformed(err);
      return;
    }
    if (this.#state === 'awaiting-hello') this.#onHello(message);
    else if (this.#state === 'registering') {
      if (this.#early.length >= MAX_EARLY_MESSAGES) {
        this.close(CloseCode.protocolViolation, 'too many messages before welcome');
        return;
      }
      this.#early.push(message);
    } else this.#guard(`a ${message.type} message`, () => this.#dispatch(message));
  }

  #malformed(err: unknown): void {
    this.#errors += 1;
    this.#ctx.metrics.count('malformed', this.agent?.id);
    const message = describeError(err);
    if (this.#errors > this.#ctx.limits.maxErrors) {
      this.#ctx.metrics.count('tooManyErrors', this.agent?.id);
      this.#ctx.log(
        `hub: ${this.#label()}: closed after ${this.#errors} malformed messages (last: ${message})`,
      );
      this.close(CloseCode.tooManyErrors, `too many malformed messages (${this.#errors}); last: ${message}`);
      return;
    }
    this.send({ type: 'error', code: 'PROTOCOL_INVALID', message });
  }

  #onHello(message: AgentMessage): void {
    if (message.type !== 'hello') {
      this.refuse(
        CloseCode.protocolViolation,
        'PROTOCOL_INVALID',
        `the first message must be hello, not ${message.type}`,
      );
      return;
    }
    clearTimeout(this.#helloTimer);
    if (message.protocolVersion !== PROTOCOL_VERSION) {
      this.#ctx.metrics.count('versionRefused');
      this.#ctx.log(`hub: ${this.#label()}: refused protocol version ${message.protocolVersion}`);
      this.refuse(
        CloseCode.versionIncompatible,
        'VERSION_INCOMPATIBLE',
        `agent speaks protocol ${message.protocolVersion}, this coordinator speaks ${PROTOCOL_VERSION}: ` +
          'install the detourwatch release the coordinator runs',
      );
      return;
    }
    const impossible =
      message.location === null ? null : claimedLocationProblem(message.location, packagedAirports());
    if (impossible !== null) {
      this.#ctx.metrics.count('locationRefused');
      this.#ctx.log(`hub: ${this.#label()}: refused: ${impossible}`);
      this.refuse(CloseCode.locationImpossible, 'LOCATION_IMPOSSIBLE', impossible);
      return;
    }
    this.#state = 'registering';
    this.#ctx
      .claim(this)
      .then(async (mine) => {
        if (mine && this.#state === 'registering') await this.#register(message);
      })
      .catch((err: unknown) => {
        this.#ctx.log(`hub: ${this.#label()}: cannot record the agent: ${describeError(err)}`);
        this.close(CloseCode.internalError, 'the coordinator could not record the agent; retry later');
      });
  }

  async #register(hello: HelloMessage): Promise<void> {
    const agent = await this.#ctx.store.recordHello({
      tokenId: this.tokenId,
      name: this.tokenName,
      location: hello.location,
      engines: hello.engines,
      limits: hello.limits,
      agentVersion: hello.agentVersion,
      protocolVersion: hello.protocolVersion,
      address: this.address,
      at: this.#ctx.now().toISOString(),
    });
    if (this.#state !== 'registering') {
      this.#ctx.abandoned(this, agent.id);
      return;
    }
    this.agent = agent;
    this.#ctx.metrics.count('sessions', agent.id);
    this.limits = hello.limits;
    this.#position = hello.location ? { ...hello.location, source: 'declared' } : null;
    this.#state = 'active';
    this.send({
      type: 'welcome',
      agentId: agent.id,
      name: agent.name,
      protocolVersion: PROTOCOL_VERSION,
      heartbeatMs: this.#ctx.limits.heartbeatMs,
    });
    this.#ctx.log(
      `hub: agent ${agent.name} (${agent.id}) connected from ${this.address ?? 'an unknown address'}`,
    );
    this.#ctx.activated(this);
    const early = this.#early;
    this.#early = [];
    for (const m of early) {
      if (this.#state !== 'active') break;
      this.#guard(`a ${m.type} message`, () => this.#dispatch(m));
    }
  }

  #dispatch(message: AgentMessage): void {
    const agent = this.agent;
    if (!agent) return;
    switch (message.type) {
      case 'hello':
        this.#malformed(
          new DetourwatchError('PROTOCOL_INVALID', 'hello was already received on this connection'),
        );
        return;
      case 'result':
        this.#onResult(agent, message);
        return;
      case 'task-failed':
        this.#ctx.metrics.count('tasksFailed', agent.id);
        this.#ctx.log(
          `hub: agent ${agent.name}: task ${message.taskId} failed: ${message.code}: ${message.message}`,
        );
        this.#ctx.taskFailed(agent.id, message.taskId);
        return;
    }
  }

  /**
   * A result reaches ingest only as the first answer to a task issued to this agent, in its window (or as a
   * resend of that answer); anything else is refused, counted, and never stored.
   */
  #onResult(agent: AgentRecord, message: ResultMessage): void {
    this.#ctx.metrics.count('resultsReceived', agent.id);
    this.#pendingResults += 1;
    if (this.#pendingResults >= this.#ctx.limits.maxPendingResults && !this.#paused) {
      this.#paused = true;
      this.ws.pause();
    }
    this.#ctx.tasks.check(agent.id, message).then(
      (verdict) =>
        this.#guard('a result message', () => {
          if (!verdict.accept) {
            this.#settled();
            this.#ctx.metrics.count('resultsRefused', agent.id);
            this.#ctx.metrics.count(REFUSAL_COUNTER[verdict.code], agent.id);
            this.#ctx.log(
              `hub: agent ${agent.name} (${agent.id}): refused result ${message.resultId}: ${verdict.code}: ${verdict.reason}`,
            );
            this.#ctx.deliver(agent.id, refusedAck(message.resultId, verdict.code, verdict.reason), this);
            return;
          }
          this.#ctx.resultReceived(agent.id, message.taskId);
          this.#ctx.ingest.submit({ id: agent.id, position: this.#position }, message, (reply) =>
            this.#guard('a store reply', () => this.#onStored(agent, message, reply)),
          );
        }),
      (err: unknown) =>
        this.#guard('a task check', () => {
          // The store could not answer: nothing was decided, so the agent sends it again later.
          this.#settled();
          this.#ctx.metrics.count('resultsRetried', agent.id);
          // A full or read-only store: the coded, long retry, logged once by the ingest, not per result.
          const fault = this.#ctx.ingest.storeFault(err);
          if (fault && 'retryAfterMs' in fault) {
            const { retryAfterMs, reason, code } = fault;
            this.#ctx.deliver(agent.id, retryAck(message.resultId, retryAfterMs, reason, code), this);
            return;
          }
          this.#ctx.log(`hub: cannot check the task of result ${message.resultId}: ${describeError(err)}`);
          this.#ctx.deliver(
            agent.id,
            retryAck(message.resultId, 1000, 'the coordinator cannot check the task now'),
            this,
          );
        }),
    );
  }

  /** One result of this agent answered: reading resumes once half the pending ones are. */
  #settled(): void {
    this.#pendingResults -= 1;
    if (this.#paused && this.#pendingResults < this.#ctx.limits.maxPendingResults / 2) {
      this.#paused = false;
      this.ws.resume();
    }
  }

  #onStored(agent: AgentRecord, message: ResultMessage, reply: IngestReply): void {
    this.#settled();
    if ('retryAfterMs' in reply) {
      // Not stored: the agent keeps the result and sends it again on this connection after the delay.
      this.#ctx.metrics.count('resultsRetried', agent.id);
      const { retryAfterMs, reason, code } = reply;
      // Backpressure (issue 17): the ingest is full, so the whole outbox waits, not only this result.
      if (reply.overloaded && Date.now() >= this.#slowDownUntil) {
        this.#slowDownUntil = Date.now() + retryAfterMs;
        this.#ctx.deliver(agent.id, slowDownMessage(retryAfterMs, reason), this);
      }
      this.#ctx.deliver(agent.id, retryAck(message.resultId, retryAfterMs, reason, code), this);
      return;
    }
    this.#ctx.deliver(agent.id, { type: 'ack', resultId: message.resultId, status: reply.status }, this);
  }

  #onClose(): void {
    clearTimeout(this.#helloTimer);
    this.#state = 'closed';
    this.#ctx.closed(this);
  }
}
