import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { describeError } from '../../protocol/errors.ts';
import { type AgentLimits, CloseCode, MAX_MESSAGE_BYTES, type TaskMessage } from '../../protocol/messages.ts';
import type { Ingest } from '../ingest/ingest.ts';
import { type Cidr, clientAddress } from '../net/client-address.ts';
import type { Store } from '../store/store.ts';
import { hashToken } from '../store/tokens.ts';
import { bearerToken } from './bearer.ts';
import { fitCloseReason } from './close-reason.ts';
import { type Counters, createHubMetrics, type HubMetrics } from './metrics.ts';
import { AgentSession, type SessionContext, type SessionLimits } from './session.ts';
import { createTaskGate } from './task-gate.ts';

/** The agents' WebSocket endpoint (on the same port as the HTTP API). */
export const AGENT_PATH = '/api/v1/agent';

/** What the scheduler and the API see of a connected agent. */
export interface ConnectedAgent {
  agentId: string;
  name: string;
  limits: AgentLimits;
  /** The socket's remote address, unwrapped from IPv4-mapped IPv6; null if unknown. */
  address: string | null;
  acceptsTasks: boolean;
}

/** What the hub tells the scheduler. */
export interface HubEvents {
  connected?(agent: ConnectedAgent): void;
  disconnected?(agentId: string): void;
  resultReceived?(agentId: string, taskId: string | null): void;
  taskFailed?(agentId: string, taskId: string): void;
}

/**
 * Several coordinators on one database (server/cluster/lease-keeper.ts): an agent runs on the coordinator
 * holding its lease. Absent: this coordinator is the only one.
 */
export interface HubLeases {
  /** `taken`: go on; `held`: another coordinator runs the agent (4009); `unsure`: ask again soon (1013). */
  claim(tokenId: number, stillWanted: () => boolean): Promise<'taken' | 'held' | 'unsure'>;
  release(tokenId: number): Promise<void>;
}

/** Close code for a connection asked to come back shortly (RFC 6455 "try again later"): the agent reconnects. */
const TRY_AGAIN_LATER = 1013;

export interface HubOptions extends Partial<SessionLimits> {
  store: Store;
  leases?: HubLeases;
  ingest: Ingest;
  events?: HubEvents;
  /** How long after issue a task may first be answered (task-check.ts DEFAULT_TASK_WINDOW_MS). */
  taskWindowMs?: number;
  /** false: results need no task. Only tests and benchmarks of ingest set it; serve never does. */
  enforceTasks?: boolean;
  /** `--trust-proxy`: peers whose X-Forwarded-For names the agent's address. */
  trustProxy?: readonly Cidr[];
  now?: () => Date;
  log?: (line: string) => void;
}

export interface Hub {
  /** For the HTTP server's `upgrade` event. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  connected(): ConnectedAgent[];
  isConnected(agentId: string): boolean;
  sendTask(agentId: string, task: TaskMessage): boolean;
  /** Another coordinator took these tokens' leases: their connections here close (4005), unmarked. */
  leasesLost(tokenIds: readonly number[]): void;
  metrics(): { global: Counters; agent(agentId: string): Counters };
  readonly heartbeatMs: number;
  /** Closes every connection (1001) and stops the heartbeat. */
  close(): Promise<void>;
}

const DEFAULT_LIMITS: SessionLimits = {
  heartbeatMs: 15_000,
  helloTimeoutMs: 10_000,
  maxErrors: 10,
  maxPendingResults: 64,
  maxBufferedBytes: 4 * MAX_MESSAGE_BYTES,
  livenessProbeMs: 3000,
};

/** Pings an agent may leave unanswered; at the next tick it is cut off. */
const MAX_MISSED_PONGS = 2;

function view(session: AgentSession): ConnectedAgent | null {
  if (!session.agent || !session.limits) return null;
  return {
    agentId: session.agent.id,
    name: session.agent.name,
    limits: session.limits,
    address: session.address,
    acceptsTasks: session.acceptsTasks,
  };
}

function rejectHttp(socket: Duplex, status: string, body: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${body}\n`);
}

export function createHub(options: HubOptions): Hub {
  const limits: SessionLimits = {
    heartbeatMs: options.heartbeatMs ?? DEFAULT_LIMITS.heartbeatMs,
    helloTimeoutMs: options.helloTimeoutMs ?? DEFAULT_LIMITS.helloTimeoutMs,
    maxErrors: options.maxErrors ?? DEFAULT_LIMITS.maxErrors,
    maxPendingResults: options.maxPendingResults ?? DEFAULT_LIMITS.maxPendingResults,
    maxBufferedBytes: options.maxBufferedBytes ?? DEFAULT_LIMITS.maxBufferedBytes,
    livenessProbeMs: options.livenessProbeMs ?? DEFAULT_LIMITS.livenessProbeMs,
  };
  const now = options.now ?? (() => new Date());
  const log = options.log ?? (() => {});
  const events = options.events ?? {};
  const metrics: HubMetrics = createHubMetrics();
  const trustProxy = options.trustProxy ?? [];
  /** The agent's real address: the socket's peer, or what a trusted proxy says in X-Forwarded-For. */
  const remoteAddress = (request: IncomingMessage): string | null => {
    const forwarded = request.headers['x-forwarded-for'];
    return clientAddress(
      request.socket.remoteAddress,
      Array.isArray(forwarded) ? forwarded.join(',') : forwarded,
      trustProxy,
    );
  };
  const tasks = createTaskGate({
    store: options.store,
    now,
    windowMs: options.taskWindowMs,
    enforce: options.enforceTasks,
    log,
  });
  // Compression off: it costs far more CPU than it saves on a few-KB traceroute (STACK.md). One message
  // per tick per socket (allowSynchronousEvents off), so a flooding agent cannot hold the loop for a whole
  // burst while other sockets wait.
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
    perMessageDeflate: false,
    allowSynchronousEvents: false,
  });
  const sessions = new Set<AgentSession>();
  const byToken = new Map<number, AgentSession>();
  const byAgent = new Map<string, AgentSession>();
  let closing = false;
  // Store writes started by socket events, awaited on close so the store is not closed under them.
  const storeWrites = new Set<Promise<void>>();
  const track = (write: Promise<void>): void => {
    storeWrites.add(write);
    write.finally(() => storeWrites.delete(write));
  };

  // Sessions holding their agent's lease, and those whose lease another coordinator took.
  const leased = new Set<AgentSession>();
  const leaseLost = new Set<AgentSession>();
  /** The lease goes once no connection here holds the token (a replacing one keeps it). */
  const releaseLease = async (session: AgentSession): Promise<void> => {
    if (!leased.delete(session) || !options.leases || byToken.has(session.tokenId)) return;
    await options.leases.release(session.tokenId).catch((err: unknown) => {
      log(`hub: cannot release the lease of token #${session.tokenId}: ${describeError(err)}`);
    });
  };

  // Marked disconnected before the lease goes, so a coordinator taking it over marks it connected after.
  const markDisconnected = (agentId: string, lastSeen: Date, session?: AgentSession): void => {
    track(
      options.store
        .markDisconnected(agentId, lastSeen.toISOString())
        .catch((err: unknown) => {
          log(`hub: cannot mark agent ${agentId} disconnected: ${describeError(err)}`);
        })
        .then(() => (session ? releaseLease(session) : undefined)),
    );
  };

  /** This coordinator's lease of the agent, after the token is this connection's here. */
  async function lease(session: AgentSession): Promise<boolean> {
    if (!options.leases) return true;
    const claimed = await options.leases.claim(session.tokenId, () => session.state !== 'closed');
    if (claimed === 'taken') {
      leased.add(session);
      if (session.state !== 'closed') return true;
      // It closed while the lease was being taken: closed() ran before it was leased.
      track(releaseLease(session));
      return false;
    }
    if (session.state === 'closed') return false;
    const who = `token #${session.tokenId} (${session.tokenName})`;
    if (claimed === 'held') {
      metrics.count('alreadyConnected');
      log(`hub: refused ${who}: its agent is connected to another coordinator, which renews its lease`);
      session.refuse(
        CloseCode.alreadyConnected,
        'ALREADY_CONNECTED',
        'already connected: the agent with this token is connected to another coordinator of this network; ' +
          'is the token used by two agents? (each agent needs its own: detourwatch token create)',
      );
    } else {
      log(`hub: ${who}: another coordinator's lease of its agent neither ended nor was renewed yet; retry`);
      session.refuse(
        TRY_AGAIN_LATER,
        'UNAVAILABLE',
        'another coordinator held this agent until moments ago; reconnect shortly',
      );
    }
    return false;
  }

  // One liveness ping per holder, however many newcomers wait on its answer.
  const probes = new Map<AgentSession, Promise<boolean>>();
  const probe = (holder: AgentSession): Promise<boolean> => {
    let answer = probes.get(holder);
    if (!answer) {
      answer = holder.probeAlive(limits.livenessProbeMs).finally(() => probes.delete(holder));
      probes.set(holder, answer);
    }
    return answer;
  };

  /** One live connection per token: a newcomer takes the token only from a holder that fails a ping. */
  async function claim(session: AgentSession): Promise<boolean> {
    const gone = (s: AgentSession) => s.state === 'closed';
    for (;;) {
      if (gone(session)) return false;
      const holder = byToken.get(session.tokenId);
      if (!holder || holder === session || gone(holder)) {
        byToken.set(session.tokenId, session);
        return true;
      }
      const alive = await probe(holder);
      // While the ping was out, the newcomer may have gone, or another newcomer taken the token.
      if (gone(session)) return false;
      if (byToken.get(session.tokenId) !== holder) continue;
      const who = holder.agent
        ? `agent ${holder.agent.name} (${holder.agent.id})`
        : `token #${session.tokenId}`;
      const from = (s: AgentSession) => s.address ?? 'an unknown address';
      if (alive) {
        metrics.count('alreadyConnected', holder.agent?.id);
        log(
          `hub: refused a second connection for ${who} from ${from(session)}: the connection from ` +
            `${from(holder)} answered a ping within ${limits.livenessProbeMs} ms (is the token used by two agents?)`,
        );
        session.refuse(
          CloseCode.alreadyConnected,
          'ALREADY_CONNECTED',
          'already connected: another connection with this token is open and answers; ' +
            'is the token used by two agents? (each agent needs its own: detourwatch token create)',
        );
        return false;
      }
      metrics.count('replaced', holder.agent?.id);
      log(
        `hub: ${who}: the connection from ${from(holder)} did not answer a ping within ` +
          `${limits.livenessProbeMs} ms; the one from ${from(session)} replaces it`,
      );
      byToken.set(session.tokenId, session);
      // It did not answer a ping: no close handshake either. The close frame is for a peer that is only slow.
      holder.close(CloseCode.replaced, 'another connection with the same token replaced this one');
      holder.ws.terminate();
      return true;
    }
  }

  const ctx: SessionContext = {
    limits,
    store: options.store,
    ingest: options.ingest,
    tasks,
    metrics,
    now,
    log,
    claim: async (session) => (await claim(session)) && (await lease(session)),
    activated(session) {
      const agent = view(session);
      if (!agent) return;
      byAgent.set(agent.agentId, session);
      events.connected?.(agent);
    },
    closed(session) {
      sessions.delete(session);
      if (byToken.get(session.tokenId) === session) byToken.delete(session.tokenId);
      const agentId = session.agent?.id;
      if (leaseLost.delete(session)) {
        leased.delete(session);
        // Another coordinator runs the agent now: nothing here to mark.
        if (agentId && byAgent.get(agentId) === session) byAgent.delete(agentId);
        if (agentId) events.disconnected?.(agentId);
        return;
      }
      if (!agentId) {
        track(releaseLease(session));
        return;
      }
      if (byAgent.get(agentId) === session) {
        byAgent.delete(agentId);
        log(`hub: agent ${session.agent?.name} (${agentId}) disconnected`);
        events.disconnected?.(agentId);
      }
      // A connection that replaced this one has (or will have) marked the agent connected: leave it be.
      if (byToken.has(session.tokenId)) {
        leased.delete(session);
        return;
      }
      markDisconnected(agentId, session.lastSeen, session);
    },
    abandoned(session, agentId) {
      if (byToken.has(session.tokenId)) return;
      markDisconnected(agentId, now(), session);
    },
    deliver(agentId, message, fallback) {
      const current = byAgent.get(agentId);
      (current ?? fallback).send(message);
    },
    resultReceived: (agentId, taskId) => events.resultReceived?.(agentId, taskId),
    taskFailed: (agentId, taskId) => events.taskFailed?.(agentId, taskId),
  };

  type Refusal = { code: 'AUTH_FAILED' | 'FORBIDDEN'; message: string };

  async function authenticate(request: IncomingMessage): Promise<{ id: number; name: string } | Refusal> {
    const token = bearerToken(request.headers.authorization);
    if (token === null) {
      return {
        code: 'AUTH_FAILED',
        message:
          'no token: start the agent with --token (the operator creates one: detourwatch token create)',
      };
    }
    const record = await options.store.findTokenByHash(hashToken(token));
    if (!record || record.revokedAt !== null) {
      return {
        code: 'AUTH_FAILED',
        message: 'token unknown or revoked: ask the operator for a new one (detourwatch token create)',
      };
    }
    if (record.role !== 'agent') {
      return {
        code: 'FORBIDDEN',
        message:
          `token #${record.id} is an ${record.role} API key, not an agent token: ` +
          'agents need their own (detourwatch token create --name NAME)',
      };
    }
    return { id: record.id, name: record.name };
  }

  function accept(
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    auth: { id: number; name: string } | Refusal,
  ) {
    wss.handleUpgrade(request, socket, head, (ws) => {
      metrics.count('connections');
      if ('code' in auth || closing) {
        const refused = 'code' in auth ? auth : null;
        if (refused) {
          metrics.count(refused.code === 'FORBIDDEN' ? 'wrongRole' : 'authFailures');
          log(
            `hub: refused a connection from ${remoteAddress(request) ?? 'an unknown address'}: ${refused.message}`,
          );
        }
        ws.on('error', () => {});
        const [closeCode, errorCode, reason] = refused
          ? [
              refused.code === 'FORBIDDEN' ? CloseCode.wrongRole : CloseCode.authFailed,
              refused.code,
              refused.message,
            ]
          : [1001, 'SHUTTING_DOWN', 'coordinator shutting down'];
        ws.send(JSON.stringify({ type: 'error', code: errorCode, message: reason }));
        ws.close(closeCode, fitCloseReason(reason));
        return;
      }
      sessions.add(new AgentSession(ws, auth, remoteAddress(request), ctx));
    });
  }

  async function heartbeat(): Promise<void> {
    const seen: { agentId: string; lastSeen: string }[] = [];
    for (const session of sessions) {
      if (session.missedPongs >= MAX_MISSED_PONGS) {
        metrics.count('heartbeatTimeouts', session.agent?.id);
        log(
          `hub: ${session.agent?.name ?? `token #${session.tokenId}`} missed ${MAX_MISSED_PONGS} pings; disconnecting`,
        );
        session.ws.terminate();
        continue;
      }
      session.missedPongs += 1;
      session.ws.ping();
      if (session.agent && session.state === 'active') {
        seen.push({ agentId: session.agent.id, lastSeen: session.lastSeen.toISOString() });
      }
    }
    if (seen.length > 0) await options.store.touchAgents(seen);
    // A token revoked while its agent is connected (by `detourwatch token revoke` in another process).
    if (byToken.size === 0) return;
    const revoked = new Set(
      (await options.store.listTokens()).filter((t) => t.revokedAt !== null).map((t) => t.id),
    );
    for (const [tokenId, session] of byToken) {
      if (revoked.has(tokenId))
        session.refuse(CloseCode.authFailed, 'AUTH_FAILED', 'token revoked by the operator');
    }
  }

  const timer = setInterval(() => {
    track(heartbeat().catch((err: unknown) => log(`hub: heartbeat: ${describeError(err)}`)));
  }, limits.heartbeatMs);
  timer.unref();

  return {
    heartbeatMs: limits.heartbeatMs,
    handleUpgrade(request, socket, head) {
      socket.on('error', () => {});
      // Only the path matters; any query is ignored. No URL parsing: hostile request lines must not throw.
      const pathname = (request.url ?? '').split('?')[0];
      if (pathname !== AGENT_PATH) {
        rejectHttp(socket, '404 Not Found', `agents connect to ${AGENT_PATH}`);
        return;
      }
      authenticate(request)
        .then((auth) => accept(request, socket, head, auth))
        .catch((err: unknown) => {
          log(`hub: cannot check a token: ${describeError(err)}`);
          rejectHttp(
            socket,
            '503 Service Unavailable',
            'the coordinator cannot check tokens now; retry later',
          );
        });
    },
    connected: () => [...byAgent.values()].flatMap((s) => view(s) ?? []),
    isConnected: (agentId) => byAgent.has(agentId),
    sendTask(agentId, task) {
      const session = byAgent.get(agentId);
      if (session?.state !== 'active') return false;
      // Issued before it is sent, so its answer always finds it (task-gate.ts keeps it until it is stored).
      tasks.issue(agentId, task);
      const sent = session.send(task);
      if (sent) metrics.count('tasksSent', agentId);
      return sent;
    },
    leasesLost(tokenIds) {
      for (const tokenId of tokenIds) {
        const session = byToken.get(tokenId);
        if (!session) continue;
        leaseLost.add(session);
        log(`hub: token #${tokenId}: another coordinator took its agent's lease; closing this connection`);
        session.close(CloseCode.replaced, 'another coordinator took this agent over; reconnect');
      }
    },
    metrics: () => ({ global: metrics.global(), agent: metrics.agent }),
    async close() {
      closing = true;
      clearInterval(timer);
      const open = [...sessions];
      await Promise.all(
        open.map(
          (s) =>
            new Promise<void>((resolve) => {
              if (s.state === 'closed') return resolve();
              s.ws.once('close', () => resolve());
              s.close(1001, 'coordinator shutting down');
              // A peer that never answers the close handshake is cut off.
              setTimeout(() => s.ws.terminate(), 2000).unref();
            }),
        ),
      );
      await Promise.all(storeWrites);
      await tasks.flush();
      wss.close();
    },
  };
}
