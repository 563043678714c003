import type Database from 'better-sqlite3';
import type { DeliveryStatus } from '../../protocol/history-api.ts';
import type { IncidentEventKind } from '../incidents/types.ts';

export type { DeliveryStatus };

export interface DeliveryUpdate {
  status: DeliveryStatus;
  attempts: number;
  httpStatus: number | null;
  lastError: string | null;
  at: number;
}

/** The record of webhook deliveries: one row per (event, webhook), updated after every attempt. */
export interface DeliveryLog {
  created(event: IncidentEventKind, incidentId: number, label: string, at: number): number;
  updated(id: number, update: DeliveryUpdate): void;
}

const MAX_ERROR_CHARS = 500;

export function sqliteDeliveryLog(db: Database.Database): DeliveryLog {
  const insert = db.prepare(
    `INSERT INTO webhook_deliveries (event, incident_id, url, status, attempts, created_at, updated_at)
     VALUES (?, ?, ?, 'pending', 0, ?, ?)`,
  );
  const update = db.prepare(
    `UPDATE webhook_deliveries SET status = @status, attempts = @attempts, http_status = @httpStatus,
       last_error = @lastError, updated_at = @at WHERE id = @id`,
  );
  return {
    created: (event, incidentId, label, at) =>
      Number(insert.run(event, incidentId, label, at, at).lastInsertRowid),
    updated: (id, u) => {
      update.run({
        ...u,
        id,
        lastError: u.lastError === null ? null : u.lastError.slice(0, MAX_ERROR_CHARS),
      });
    },
  };
}
