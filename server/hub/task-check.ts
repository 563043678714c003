import { createHash } from 'node:crypto';
import type { ResultMessage, ResultRefusal } from '../../protocol/messages.ts';
import type { TaskRecord } from '../store/task-store.ts';

/** How far an agent's clock may run ahead of the coordinator's before its result counts as future-dated. */
export const DEFAULT_CLOCK_SKEW_MS = 60_000;

/**
 * A task's window (`serve --task-window`): the agent's queue (rate limits) and the engine's run, plus the
 * time its durable outbox may wait to deliver: a lost connection, a coordinator restart, a volunteer's laptop
 * closed overnight. A day: the outbox keeps a result until it is acknowledged or refused, whatever its age,
 * so this is what bounds how old a replayed result can be; a first answer after it is refused RESULT_LATE.
 * Results arriving well within it are still marked late (server/ingest/late.ts, `--late-after`).
 */
export const DEFAULT_TASK_WINDOW_MS = 24 * 3_600_000;

/**
 * What a result is judged on besides its task: its content, digested, so a resend of the same result id is
 * recognised (the outbox sends again after a lost ack) and the same id with other content is not.
 */
export function resultDigest(m: ResultMessage): string {
  const content = [m.taskId, m.target, m.engine, m.method ?? null, m.startedAt, m.durationMs, m.output];
  return createHash('sha256').update(JSON.stringify(content), 'utf8').digest('hex');
}

export type TaskVerdict =
  /** `claim`: bind the task to this result first (false: it already is, this is a resend). */
  { accept: true; claim: boolean } | { accept: false; code: ResultRefusal; reason: string };

const refuse = (code: ResultRefusal, reason: string): TaskVerdict => ({ accept: false, code, reason });

/**
 * Whether `result`, from `agentId`, answers `task` (null: no such task). Pure: the hub reads the task,
 * asks this, then claims the task in the store (which refuses a second claim). A resend of the result that
 * already answered the task passes whatever the time, so it reaches ingest and is answered `duplicate`.
 */
export function judgeResult(
  task: TaskRecord | null,
  result: ResultMessage,
  digest: string,
  agentId: string,
  nowMs: number,
  clockSkewMs: number = DEFAULT_CLOCK_SKEW_MS,
): TaskVerdict {
  if (result.taskId === null) return refuse('RESULT_UNREQUESTED', 'the result names no task');
  if (task === null) return refuse('RESULT_UNREQUESTED', `no task ${result.taskId} was issued`);
  if (task.agentId !== agentId)
    return refuse('RESULT_FOREIGN', `task ${task.taskId} was issued to another agent`);
  if (task.state === 'answered') {
    if (task.resultId === result.resultId && task.resultDigest === digest)
      return { accept: true, claim: false };
    return task.resultId === result.resultId
      ? refuse('RESULT_REPLAYED', `result ${result.resultId} was already received with other content`)
      : refuse('RESULT_REPLAYED', `task ${task.taskId} was already answered by result ${task.resultId}`);
  }
  if (result.target !== task.target)
    return refuse(
      'RESULT_TARGET_MISMATCH',
      `task ${task.taskId} asked for ${task.target}, not ${result.target}`,
    );
  const deadline = Date.parse(task.deadline);
  if (nowMs > deadline)
    return refuse('RESULT_LATE', `task ${task.taskId}'s window closed at ${task.deadline}`);
  const started = Date.parse(result.startedAt);
  if (started > nowMs + clockSkewMs)
    return refuse('RESULT_TIME_INVALID', `startedAt ${result.startedAt} is in the future`);
  if (started < Date.parse(task.issuedAt) - clockSkewMs) {
    return refuse(
      'RESULT_TIME_INVALID',
      `startedAt ${result.startedAt} is before task ${task.taskId} was issued (${task.issuedAt})`,
    );
  }
  return { accept: true, claim: true };
}
