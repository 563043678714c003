import type Database from 'better-sqlite3';
import type { DeliveryStore } from '../delivery-store.ts';

/** A receiver's error text can be long (an HTML error page): the record keeps its start. */
const MAX_ERROR_CHARS = 500;

export function sqliteDeliveries(db: Database.Database): DeliveryStore {
  const insert = db.prepare(
    `INSERT INTO webhook_deliveries (event, incident_id, url, status, attempts, created_at, updated_at)
     VALUES (?, ?, ?, 'pending', 0, ?, ?)`,
  );
  const update = db.prepare(
    `UPDATE webhook_deliveries SET status = @status, attempts = @attempts, http_status = @httpStatus,
       last_error = @lastError, updated_at = @at WHERE id = @id`,
  );
  return {
    async createDelivery(event, incidentId, label, at) {
      return Number(insert.run(event, incidentId, label, at, at).lastInsertRowid);
    },
    async updateDelivery(id, u) {
      update.run({
        ...u,
        id,
        lastError: u.lastError === null ? null : u.lastError.slice(0, MAX_ERROR_CHARS),
      });
    },
  };
}
