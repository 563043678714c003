/** The tasks table's rows and their mapping, for SQLite (sqlite/tasks.ts) and PostgreSQL (pg/tasks.ts) alike. */
import { epochMs, iso } from './rows.ts';
import type { TaskRecord, TaskState } from './task-store.ts';

export { epochMs };

export const TASK_COLUMNS =
  'task_id, agent_id, target, issued_at, deadline, state, result_id, result_digest, answered_at';

export interface TaskRow {
  task_id: string;
  agent_id: string;
  target: string;
  issued_at: number;
  deadline: number;
  state: TaskState;
  result_id: string | null;
  result_digest: string | null;
  answered_at: number | null;
}

export function taskRecord(row: TaskRow): TaskRecord {
  return {
    taskId: row.task_id,
    agentId: row.agent_id,
    target: row.target,
    issuedAt: iso(row.issued_at),
    deadline: iso(row.deadline),
    state: row.state,
    resultId: row.result_id,
    resultDigest: row.result_digest,
    answeredAt: row.answered_at === null ? null : iso(row.answered_at),
  };
}
