import type { Pool } from 'pg';
import { epochMs, TASK_COLUMNS, type TaskRow, taskRecord } from '../task-rows.ts';
import type { TaskStore } from '../task-store.ts';
import { changes, row } from './query.ts';

export function pgTasks(pool: Pool): TaskStore {
  return {
    async recordTask(t) {
      await pool.query(
        `INSERT INTO tasks (task_id, agent_id, target, issued_at, deadline, state)
         VALUES ($1, $2, $3, $4, $5, 'issued')`,
        [t.taskId, t.agentId, t.target, epochMs(t.issuedAt), epochMs(t.deadline)],
      );
    },
    async getTask(taskId) {
      const found = await row<TaskRow>(pool, `SELECT ${TASK_COLUMNS} FROM tasks WHERE task_id = $1`, [
        taskId,
      ]);
      return found ? taskRecord(found) : null;
    },
    async answerTask(a) {
      // One statement: of two answers racing (on two coordinators, too), only one finds the task issued.
      return (
        (await changes(
          pool,
          `UPDATE tasks SET state = 'answered', result_id = $2, result_digest = $3, answered_at = $4
           WHERE task_id = $1 AND state = 'issued'`,
          [a.taskId, a.resultId, a.resultDigest, epochMs(a.at)],
        )) === 1
      );
    },
  };
}
