import { randomBytes } from 'node:crypto';
import { DetourwatchError, describeError, ERROR_CODES, type ErrorCode } from '../../protocol/errors.ts';
import type { Hub } from '../hub/hub.ts';
import type { RequestOutcome, Scheduler } from '../schedule/scheduler.ts';
import { normaliseTarget } from '../schedule/target-list.ts';
import type { LeaseStore, PeerChannel } from '../store/lease-store.ts';

/** How long a coordinator waits for the one holding an agent to answer a routed measurement. */
export const DEFAULT_PEER_TIMEOUT_MS = 5000;

/** A measurement asked of the coordinator holding the agent, and its answer, as NOTIFY payloads (JSON). */
type PeerMessage =
  | { kind: 'measure'; to: string; from: string; id: string; agentId: string; target: string }
  | ({ kind: 'answer'; to: string; id: string } & (
      | { ok: true; taskId: string; status: RequestOutcome['status'] }
      | { ok: false; code: ErrorCode; message: string }
    ));

const text = (v: unknown, max = 256): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;

/** A payload from the channel, checked field by field; null for anything else (never thrown). */
export function parsePeerMessage(payload: string): PeerMessage | null {
  let m: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(payload);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
    m = parsed as Record<string, unknown>;
  } catch {
    return null;
  }
  if (!text(m.to, 64) || !text(m.id, 64)) return null;
  if (m.kind === 'measure') {
    if (!text(m.from, 64) || !text(m.agentId, 64) || !text(m.target, 1024)) return null;
    return { kind: 'measure', to: m.to, from: m.from, id: m.id, agentId: m.agentId, target: m.target };
  }
  if (m.kind !== 'answer') return null;
  if (m.ok === true) {
    if (!text(m.taskId, 64) || (m.status !== 'sent' && m.status !== 'queued')) return null;
    return { kind: 'answer', to: m.to, id: m.id, ok: true, taskId: m.taskId, status: m.status };
  }
  if (m.ok !== false || !text(m.message, 2000)) return null;
  const code = ERROR_CODES.includes(m.code as ErrorCode) ? (m.code as ErrorCode) : 'INTERNAL';
  return { kind: 'answer', to: m.to, id: m.id, ok: false, code, message: m.message };
}

export interface PeerRouterOptions {
  store: Pick<LeaseStore, 'leaseHolderOfAgent'>;
  /** This instance's channel to the others (its cluster membership's); null: none (SQLite). */
  channel: PeerChannel | null;
  instanceId: string;
  hub: Pick<Hub, 'isConnected'>;
  scheduler: Pick<Scheduler, 'request'>;
  /** The lease length, for the messages that say when to try again. */
  leaseMs: number;
  timeoutMs?: number;
  now?: () => number;
  log?: (line: string) => void;
}

export interface PeerRouter {
  /**
   * A measurement for an agent connected to another coordinator: asked of that coordinator, answered as its
   * scheduler answered. AGENT_NOT_CONNECTED when no coordinator holds the agent; UNAVAILABLE when the holder
   * does not answer (it died: its agents come back on another coordinator within a lease) or cannot be reached.
   */
  request(agentId: string, target: string): Promise<RequestOutcome>;
  /** A message from the channel (the membership's onMessage). */
  handle(payload: string): void;
  close(): Promise<void>;
}

/**
 * Routes `POST /api/v1/measurements` between coordinators over the store's peer channel (PostgreSQL
 * LISTEN/NOTIFY, one channel, each message naming the instance it is for), and answers the measurements other
 * coordinators route here.
 */
export function createPeerRouter(options: PeerRouterOptions): PeerRouter {
  const { instanceId, store } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_PEER_TIMEOUT_MS;
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => {});
  const waiting = new Map<string, (answer: Extract<PeerMessage, { kind: 'answer' }>) => void>();
  const { channel } = options;

  const send = (message: PeerMessage): Promise<void> =>
    channel ? channel.send(JSON.stringify(message)) : Promise.resolve();

  function answer(m: Extract<PeerMessage, { kind: 'measure' }>): void {
    const reply = (
      body:
        | { ok: true; taskId: string; status: RequestOutcome['status'] }
        | { ok: false; code: ErrorCode; message: string },
    ) =>
      send({ kind: 'answer', to: m.from, id: m.id, ...body }).catch((err: unknown) =>
        log(`cluster: cannot answer instance ${m.from}: ${describeError(err)}`),
      );
    if (!options.hub.isConnected(m.agentId)) {
      void reply({ ok: false, code: 'AGENT_NOT_CONNECTED', message: `agent ${m.agentId} is not connected` });
      return;
    }
    try {
      // Checked again here: what reaches an agent is checked by the coordinator that sends it.
      const outcome = options.scheduler.request(m.agentId, normaliseTarget(m.target));
      log(
        `cluster: measurement of ${m.target} by agent ${m.agentId} asked by instance ${m.from}: task ${outcome.taskId}`,
      );
      void reply({ ok: true, ...outcome });
    } catch (err) {
      const code = err instanceof DetourwatchError ? err.code : 'INTERNAL';
      void reply({
        ok: false,
        code,
        message: err instanceof DetourwatchError ? err.message : 'internal error',
      });
      if (!(err instanceof DetourwatchError))
        log(`cluster: a routed measurement failed: ${describeError(err)}`);
    }
  }

  return {
    handle(payload) {
      const m = parsePeerMessage(payload);
      if (m === null || m.to !== instanceId) return;
      if (m.kind === 'measure') answer(m);
      else waiting.get(m.id)?.(m);
    },
    async request(agentId, target) {
      const holder = await store.leaseHolderOfAgent(agentId, now());
      if (holder === null || holder.instanceId === instanceId) {
        throw new DetourwatchError(
          'AGENT_NOT_CONNECTED',
          `agent ${agentId} is not connected to any coordinator`,
        );
      }
      const retry = `its agents reconnect to another coordinator within ${Math.ceil(options.leaseMs / 1000)} s`;
      if (channel === null) {
        throw new DetourwatchError(
          'UNAVAILABLE',
          `agent ${agentId} is connected to coordinator instance ${holder.instanceId}, which this store cannot ` +
            'reach (SQLite has no channel between coordinators): ask that coordinator',
        );
      }
      const id = randomBytes(9).toString('base64url');
      const answered = new Promise<Extract<PeerMessage, { kind: 'answer' }> | null>((resolve) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          resolve(null);
        }, timeoutMs);
        waiting.set(id, (m) => {
          clearTimeout(timer);
          waiting.delete(id);
          resolve(m);
        });
      });
      await send({ kind: 'measure', to: holder.instanceId, from: instanceId, id, agentId, target });
      const reply = await answered;
      if (reply === null) {
        throw new DetourwatchError(
          'UNAVAILABLE',
          `agent ${agentId} is held by coordinator instance ${holder.instanceId}, which did not answer within ` +
            `${timeoutMs} ms (stopped or unreachable); ${retry}: try again then`,
        );
      }
      if (!reply.ok) throw new DetourwatchError(reply.code, reply.message);
      return { taskId: reply.taskId, status: reply.status };
    },
    async close() {
      for (const resolve of waiting.values())
        resolve({
          kind: 'answer',
          to: instanceId,
          id: '',
          ok: false,
          code: 'UNAVAILABLE',
          message: 'the coordinator is stopping',
        });
      waiting.clear();
    },
  };
}
