/**
 * The tasks the coordinator issued: a result is accepted only as the answer to one of them (server/hub/
 * task-check.ts judges it). Stored, so a task issued before a restart is still answered after it.
 * Times are ISO 8601 strings, as the wire has them.
 */
export const TASK_STATES = ['issued', 'answered'] as const;
export type TaskState = (typeof TASK_STATES)[number];

export interface TaskRecord {
  taskId: string;
  agentId: string;
  target: string;
  issuedAt: string;
  /** After this, a first answer is late. */
  deadline: string;
  state: TaskState;
  /** The result that answered it, and a digest of that result's content (a resend must match it). */
  resultId: string | null;
  resultDigest: string | null;
  answeredAt: string | null;
}

export interface IssuedTask {
  taskId: string;
  agentId: string;
  target: string;
  issuedAt: string;
  deadline: string;
}

export interface TaskStore {
  recordTask(task: IssuedTask): Promise<void>;
  getTask(taskId: string): Promise<TaskRecord | null>;
  /**
   * Binds an issued task to the result answering it; false when the task is not `issued` any more (another
   * result took it first), so two answers racing cannot both be accepted.
   */
  answerTask(answer: {
    taskId: string;
    resultId: string;
    resultDigest: string;
    at: string;
  }): Promise<boolean>;
}
