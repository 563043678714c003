import type { Pool } from 'pg';
import type { DeliveryStore } from '../delivery-store.ts';
import { row } from './query.ts';

/** A receiver's error text can be long (an HTML error page): the record keeps its start. */
const MAX_ERROR_CHARS = 500;

export function pgDeliveries(pool: Pool): DeliveryStore {
  return {
    async createDelivery(event, incidentId, label, at) {
      const created = await row<{ id: number }>(
        pool,
        `INSERT INTO webhook_deliveries (event, incident_id, url, status, attempts, created_at, updated_at)
         VALUES ($1, $2, $3, 'pending', 0, $4, $4) RETURNING id`,
        [event, incidentId, label, at],
      );
      return created?.id ?? 0;
    },
    async updateDelivery(id, u) {
      await pool.query(
        `UPDATE webhook_deliveries SET status = $1, attempts = $2, http_status = $3, last_error = $4,
           updated_at = $5 WHERE id = $6`,
        [
          u.status,
          u.attempts,
          u.httpStatus,
          u.lastError === null ? null : u.lastError.slice(0, MAX_ERROR_CHARS),
          u.at,
          id,
        ],
      );
    },
  };
}
