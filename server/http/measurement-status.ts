import type { MeasurementItem } from '../../protocol/history-api.ts';
import type { RequestOutcome } from '../schedule/scheduler.ts';
import type { HistoryStore } from '../store/history-store.ts';
import type { MeasurementStore } from '../store/measurement-store.ts';
import type { TaskStore } from '../store/task-store.ts';

/** A task id as the scheduler makes them (`tk_` and base64url); anything else cannot name a task. */
export const TASK_ID_PATTERN = /^tk_[A-Za-z0-9_-]{1,64}$/;

/** How many requests the coordinator remembers until the store has their tasks (a queue is far shorter). */
const MAX_REMEMBERED = 10_000;

/**
 * A request not sent as a task within this long was dropped (its agent left). Not the task window, which
 * bounds how late a task sent may be answered (a day, for agents offline overnight), not how long one waits
 * to be sent: the scheduler sends within the agent's rate limits or drops it when the agent disconnects.
 */
const UNSENT_REQUEST_MS = 15 * 60_000;

interface Requested {
  agentId: string;
  target: string;
  status: RequestOutcome['status'];
  at: number;
}

/**
 * The measurements this coordinator was asked for, from the request until the store has the task: a queued
 * request is not a task yet (the scheduler sends it when the agent's limits allow), and a sent one is recorded
 * in the background (server/hub/task-gate.ts). Bounded; forgotten after the task window.
 */
export interface RequestedTasks {
  note(outcome: RequestOutcome, agentId: string, target: string): void;
  get(taskId: string): Requested | undefined;
}

export function requestedTasks(now: () => number): RequestedTasks {
  const held = new Map<string, Requested>();
  return {
    note(outcome, agentId, target) {
      held.set(outcome.taskId, { agentId, target, status: outcome.status, at: now() });
      for (const [id, r] of held) {
        if (held.size <= MAX_REMEMBERED && now() - r.at <= 2 * UNSENT_REQUEST_MS) break;
        held.delete(id);
      }
    },
    get: (taskId) => held.get(taskId),
  };
}

export interface MeasurementStatusDeps {
  store: Pick<TaskStore, 'getTask'> &
    Pick<MeasurementStore, 'traceIdOfResult'> &
    Pick<HistoryStore, 'traceDetail'>;
  requested: RequestedTasks;
  now(): number;
}

/** Where task `taskId` is, with its trace once stored; null when no task or request has that id. */
export async function measurementStatus(
  taskId: string,
  deps: MeasurementStatusDeps,
): Promise<MeasurementItem | null> {
  const task = await deps.store.getTask(taskId);
  if (task === null) {
    const r = deps.requested.get(taskId);
    if (r === undefined) return null;
    // Not issued in time: the agent left and the scheduler dropped it.
    const state = deps.now() - r.at > UNSENT_REQUEST_MS ? 'expired' : r.status;
    return {
      taskId,
      agentId: r.agentId,
      target: r.target,
      state,
      issuedAt: null,
      deadline: null,
      answeredAt: null,
      resultId: null,
      traceId: null,
      trace: null,
    };
  }
  const base = {
    taskId,
    agentId: task.agentId,
    target: task.target,
    issuedAt: task.issuedAt,
    deadline: task.deadline,
    answeredAt: task.answeredAt,
    resultId: task.resultId,
  };
  if (task.state === 'issued' || task.resultId === null) {
    const state = deps.now() > Date.parse(task.deadline) ? 'expired' : 'sent';
    return { ...base, state, traceId: null, trace: null };
  }
  const traceId = await deps.store.traceIdOfResult(task.resultId);
  const trace = traceId === null ? null : await deps.store.traceDetail(traceId);
  return {
    ...base,
    state: trace === null ? 'answered' : 'stored',
    traceId: trace === null ? null : traceId,
    trace,
  };
}

/** `GET /api/v1/measurements/{taskId}`. */
export const MEASUREMENT_PATH = '/api/v1/measurements/:taskId';

interface Requesters {
  scheduler: { request(agentId: string, target: string): RequestOutcome };
  peers?: { request(agentId: string, target: string): Promise<RequestOutcome> } | undefined;
}

/** The scheduler (and the peers, for agents held by another coordinator) noting every request they take. */
export function watchedRequests<D extends Requesters>(
  deps: D,
  requested: RequestedTasks,
): Pick<D, 'scheduler' | 'peers'> {
  const { scheduler, peers } = deps;
  return {
    scheduler: {
      ...scheduler,
      request(agentId: string, target: string) {
        const outcome = scheduler.request(agentId, target);
        requested.note(outcome, agentId, target);
        return outcome;
      },
    },
    peers:
      peers === undefined
        ? undefined
        : {
            ...peers,
            async request(agentId: string, target: string) {
              const outcome = await peers.request(agentId, target);
              requested.note(outcome, agentId, target);
              return outcome;
            },
          },
  } as Pick<D, 'scheduler' | 'peers'>;
}
