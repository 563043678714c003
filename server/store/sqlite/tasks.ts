import type Database from 'better-sqlite3';
import { epochMs, TASK_COLUMNS, type TaskRow, taskRecord } from '../task-rows.ts';
import type { TaskStore } from '../task-store.ts';

export function sqliteTasks(db: Database.Database): TaskStore {
  const s = {
    insert: db.prepare(
      `INSERT INTO tasks (task_id, agent_id, target, issued_at, deadline, state)
       VALUES (@taskId, @agentId, @target, @issuedAt, @deadline, 'issued')`,
    ),
    byId: db.prepare(`SELECT ${TASK_COLUMNS} FROM tasks WHERE task_id = ?`),
    answer: db.prepare(
      `UPDATE tasks SET state = 'answered', result_id = @resultId, result_digest = @resultDigest,
         answered_at = @at
       WHERE task_id = @taskId AND state = 'issued'`,
    ),
  };
  return {
    async recordTask(t) {
      s.insert.run({ ...t, issuedAt: epochMs(t.issuedAt), deadline: epochMs(t.deadline) });
    },
    async getTask(taskId) {
      const row = s.byId.get(taskId) as TaskRow | undefined;
      return row ? taskRecord(row) : null;
    },
    async answerTask(a) {
      return s.answer.run({ ...a, at: epochMs(a.at) }).changes === 1;
    },
  };
}
