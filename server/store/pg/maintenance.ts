import type { Pool } from 'pg';
import { DetourwatchError } from '../../../protocol/errors.ts';
import type { MaintenanceStore } from '../maintenance-store.ts';
import { MAINTENANCE_COLUMNS, type MaintenanceRow, maintenanceWindow } from '../rows.ts';
import { changes, row, rows } from './query.ts';

export function pgMaintenance(pool: Pool): MaintenanceStore {
  return {
    async addMaintenanceWindow(w) {
      const created = await row<MaintenanceRow>(
        pool,
        `INSERT INTO maintenance_windows (agent_id, target, starts_at, ends_at, reason, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${MAINTENANCE_COLUMNS}`,
        [w.agentId, w.target, w.startsAt, w.endsAt, w.reason, w.createdAt],
      );
      if (created === null)
        throw new DetourwatchError('STORE_FAILED', 'the maintenance window was not stored');
      return maintenanceWindow(created);
    },
    async listMaintenanceWindows(endingAfter) {
      const found =
        endingAfter === null
          ? await rows<MaintenanceRow>(
              pool,
              `SELECT ${MAINTENANCE_COLUMNS} FROM maintenance_windows ORDER BY starts_at, id`,
            )
          : await rows<MaintenanceRow>(
              pool,
              `SELECT ${MAINTENANCE_COLUMNS} FROM maintenance_windows WHERE ends_at > $1 ORDER BY starts_at, id`,
              [endingAfter],
            );
      return found.map(maintenanceWindow);
    },
    async removeMaintenanceWindow(id) {
      return (await changes(pool, 'DELETE FROM maintenance_windows WHERE id = $1', [id])) > 0;
    },
  };
}
