import { describeError } from '../../protocol/errors.ts';
import type { ResultMessage, TaskMessage } from '../../protocol/messages.ts';
import type { TaskRecord, TaskStore } from '../store/task-store.ts';
import {
  DEFAULT_CLOCK_SKEW_MS,
  DEFAULT_TASK_WINDOW_MS,
  judgeResult,
  resultDigest,
  type TaskVerdict,
} from './task-check.ts';

export interface TaskGateOptions {
  store: TaskStore;
  now: () => Date;
  /** How long after issue a task may first be answered. */
  windowMs?: number;
  clockSkewMs?: number;
  /**
   * false: every result passes, task or not. Only for tests and benchmarks of ingest that are not about
   * tasks; `serve` never turns it off.
   */
  enforce?: boolean;
  log?: (line: string) => void;
}

/**
 * The store side of "results answer tasks": every task sent is recorded, results claim them. A task is held
 * in memory from the moment it is issued until the store has it, so a store that is busy (another process
 * holds the write lock) delays the record, not the task; its answer waits for the record (answered `retry`
 * meanwhile) and a restart finds every task the store confirmed.
 */
export interface TaskGate {
  /** Issues the task to the agent: held at once, recorded in the background (retried while it fails). */
  issue(agentId: string, task: TaskMessage): void;
  /** Judges a result from `agentId` against its task and, when it is the first answer, claims the task. */
  check(agentId: string, result: ResultMessage): Promise<TaskVerdict>;
  /** Waits for the records still being written (on close). */
  flush(): Promise<void>;
}

/** Between attempts to record a task while the store refuses. */
const RECORD_RETRY_MS = 250;
const RECORD_ATTEMPTS = 40;

export function createTaskGate(options: TaskGateOptions): TaskGate {
  const windowMs = options.windowMs ?? DEFAULT_TASK_WINDOW_MS;
  const skewMs = options.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS;
  const enforce = options.enforce ?? true;
  const log = options.log ?? (() => {});
  const { store, now } = options;
  /** Issued, not yet confirmed by the store: the record, and the write that confirms it. */
  const unrecorded = new Map<string, { task: TaskRecord; written: Promise<void> }>();

  async function record(task: TaskRecord): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await store.recordTask(task);
        return;
      } catch (err) {
        if (attempt >= RECORD_ATTEMPTS) throw err;
        await new Promise((resolve) => setTimeout(resolve, RECORD_RETRY_MS).unref());
      }
    }
  }

  return {
    issue(agentId, message) {
      const issuedAt = now();
      const task: TaskRecord = {
        taskId: message.taskId,
        agentId,
        target: message.target,
        issuedAt: issuedAt.toISOString(),
        deadline: new Date(issuedAt.getTime() + windowMs).toISOString(),
        state: 'issued',
        resultId: null,
        resultDigest: null,
        answeredAt: null,
      };
      const written = record(task).then(
        () => {
          unrecorded.delete(task.taskId);
        },
        (err: unknown) => {
          unrecorded.delete(task.taskId);
          log(
            `hub: task ${task.taskId} could not be recorded; its answer will be refused: ${describeError(err)}`,
          );
        },
      );
      unrecorded.set(task.taskId, { task, written });
    },
    async check(agentId, result) {
      if (!enforce) return { accept: true, claim: false };
      const digest = resultDigest(result);
      for (let attempt = 0; ; attempt++) {
        const held = result.taskId === null ? undefined : unrecorded.get(result.taskId);
        const task = held?.task ?? (result.taskId === null ? null : await store.getTask(result.taskId));
        const verdict = judgeResult(task, result, digest, agentId, now().getTime(), skewMs);
        if (!verdict.accept || !verdict.claim || task === null) return verdict;
        // A claim needs the record: the store is busy, so this answer is `retry` (the caller's catch).
        if (held) throw new Error(`task ${task.taskId} is not recorded yet (the store is busy)`);
        const at = now().toISOString();
        if (
          await store.answerTask({ taskId: task.taskId, resultId: result.resultId, resultDigest: digest, at })
        )
          return verdict;
        // Another result claimed it meanwhile: judged again, it is a resend of that one or a replay.
        if (attempt >= 1)
          return { accept: false, code: 'RESULT_REPLAYED', reason: 'the task was answered meanwhile' };
      }
    },
    async flush() {
      await Promise.all([...unrecorded.values()].map((u) => u.written));
    },
  };
}
