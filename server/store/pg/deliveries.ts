import type { Pool } from 'pg';
import type { IncidentEventKind } from '../../../protocol/history-api.ts';
import type { DeliveryClaimStore, DeliveryStore, RouteChangeDeliveryStore } from '../delivery-store.ts';
import { INCIDENT_COLUMNS, type IncidentRow, incidentFromRow } from '../rows.ts';
import { instanceAlive } from './leases.ts';
import { row, rows } from './query.ts';

/** A receiver's error text can be long (an HTML error page): the record keeps its start. */
const MAX_ERROR_CHARS = 500;

export function pgDeliveries(pool: Pool): DeliveryStore & RouteChangeDeliveryStore {
  return {
    async createDelivery(event, incidentId, label, at, rule = null) {
      const created = await row<{ id: number }>(
        pool,
        `INSERT INTO webhook_deliveries (event, incident_id, url, status, attempts, created_at, updated_at, rule)
         VALUES ($1, $2, $3, 'pending', 0, $4, $4, $5) RETURNING id`,
        [event, incidentId, label, at, rule],
      );
      return created?.id ?? 0;
    },
    async createRouteChangeDelivery(routeChangeId, label, at) {
      const created = await row<{ id: number }>(
        pool,
        `INSERT INTO webhook_deliveries (event, route_change_id, url, status, attempts, created_at, updated_at)
         VALUES ('route.changed', $1, $2, 'pending', 0, $3, $3)
         ON CONFLICT (route_change_id, url) WHERE route_change_id IS NOT NULL DO NOTHING RETURNING id`,
        [routeChangeId, label, at],
      );
      return created?.id ?? null;
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

/** The claims that make one coordinator of several send each delivery (issue 12). */
export function pgDeliveryClaims(pool: Pool): DeliveryClaimStore {
  return {
    async claimDelivery(id, by, until) {
      await pool.query('UPDATE webhook_deliveries SET claimed_by = $1, claimed_until = $2 WHERE id = $3', [
        by,
        until,
        id,
      ]);
    },
    async renewDeliveryClaims(by, until) {
      await pool.query(
        `UPDATE webhook_deliveries SET claimed_until = $1 WHERE claimed_by = $2 AND status = 'pending'`,
        [until, by],
      );
    },
    async claimAbandonedDeliveries(c) {
      // Abandoned: its claim ran out, or its coordinator is gone (no session). SKIP LOCKED: two coordinators
      // looking at once split the abandoned rows, neither takes one twice.
      const claimed = await rows<{
        id: number;
        event: IncidentEventKind;
        incident_id: number;
        url: string;
        created_at: number;
      }>(
        pool,
        `UPDATE webhook_deliveries SET claimed_by = $1, claimed_until = $2
         WHERE id IN (
           SELECT id FROM webhook_deliveries
           WHERE status = 'pending' AND url = ANY($3::text[]) AND incident_id IS NOT NULL
             AND (claimed_until < $4 OR (claimed_until IS NULL AND created_at < $5)
               OR (claimed_by IS NOT NULL AND NOT ${instanceAlive('claimed_by')}))
           ORDER BY id LIMIT $6 FOR UPDATE SKIP LOCKED)
         RETURNING id, event, incident_id, url, created_at`,
        [c.by, c.until, [...c.labels], c.now, c.unclaimedBefore, c.limit],
      );
      if (claimed.length === 0) return [];
      const incidents = new Map(
        (
          await rows<IncidentRow>(
            pool,
            `SELECT ${INCIDENT_COLUMNS} FROM incidents WHERE id = ANY($1::bigint[])`,
            [claimed.map((d) => d.incident_id)],
          )
        ).map((r) => [r.id, incidentFromRow(r)]),
      );
      return claimed
        .flatMap((d) => {
          const incident = incidents.get(d.incident_id);
          return incident
            ? [{ id: d.id, event: d.event, incident, label: d.url, createdAt: d.created_at }]
            : [];
        })
        .sort((a, b) => a.id - b.id);
    },
  };
}
