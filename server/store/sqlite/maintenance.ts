import type Database from 'better-sqlite3';
import type { MaintenanceStore } from '../maintenance-store.ts';
import { MAINTENANCE_COLUMNS, type MaintenanceRow, maintenanceWindow } from '../rows.ts';

export function sqliteMaintenance(db: Database.Database): MaintenanceStore {
  const s = {
    insert: db.prepare(
      `INSERT INTO maintenance_windows (agent_id, target, starts_at, ends_at, reason, created_at)
       VALUES (@agentId, @target, @startsAt, @endsAt, @reason, @createdAt) RETURNING ${MAINTENANCE_COLUMNS}`,
    ),
    all: db.prepare(`SELECT ${MAINTENANCE_COLUMNS} FROM maintenance_windows ORDER BY starts_at, id`),
    ending: db.prepare(
      `SELECT ${MAINTENANCE_COLUMNS} FROM maintenance_windows WHERE ends_at > ? ORDER BY starts_at, id`,
    ),
    remove: db.prepare('DELETE FROM maintenance_windows WHERE id = ?'),
  };
  return {
    async addMaintenanceWindow(w) {
      return maintenanceWindow(s.insert.get(w) as MaintenanceRow);
    },
    async listMaintenanceWindows(endingAfter) {
      const found = (endingAfter === null ? s.all.all() : s.ending.all(endingAfter)) as MaintenanceRow[];
      return found.map(maintenanceWindow);
    },
    async removeMaintenanceWindow(id) {
      return s.remove.run(id).changes > 0;
    },
  };
}
