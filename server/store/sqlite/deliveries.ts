import type Database from 'better-sqlite3';
import type { IncidentEventKind } from '../../../protocol/history-api.ts';
import type { DeliveryClaimStore, DeliveryStore, RouteChangeDeliveryStore } from '../delivery-store.ts';
import { INCIDENT_COLUMNS, type IncidentRow, incidentFromRow } from '../rows.ts';
import { sqliteInstanceDead } from './leases.ts';

/** A receiver's error text can be long (an HTML error page): the record keeps its start. */
const MAX_ERROR_CHARS = 500;

export function sqliteDeliveries(db: Database.Database): DeliveryStore & RouteChangeDeliveryStore {
  const insert = db.prepare(
    `INSERT INTO webhook_deliveries (event, incident_id, url, status, attempts, created_at, updated_at, rule)
     VALUES (?, ?, ?, 'pending', 0, ?, ?, ?)`,
  );
  const insertRouteChange = db.prepare(
    `INSERT INTO webhook_deliveries (event, route_change_id, url, status, attempts, created_at, updated_at)
     VALUES ('route.changed', ?, ?, 'pending', 0, ?, ?)
     ON CONFLICT (route_change_id, url) WHERE route_change_id IS NOT NULL DO NOTHING`,
  );
  const update = db.prepare(
    `UPDATE webhook_deliveries SET status = @status, attempts = @attempts, http_status = @httpStatus,
       last_error = @lastError, updated_at = @at WHERE id = @id`,
  );
  return {
    async createDelivery(event, incidentId, label, at, rule = null) {
      return Number(insert.run(event, incidentId, label, at, at, rule).lastInsertRowid);
    },
    async createRouteChangeDelivery(routeChangeId, label, at) {
      const done = insertRouteChange.run(routeChangeId, label, at, at);
      return done.changes === 0 ? null : Number(done.lastInsertRowid);
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

/** The claims that make one coordinator of several send each delivery (issue 12); each statement is atomic. */
export function sqliteDeliveryClaims(db: Database.Database): DeliveryClaimStore {
  const claim = db.prepare('UPDATE webhook_deliveries SET claimed_by = ?, claimed_until = ? WHERE id = ?');
  const renew = db.prepare(
    `UPDATE webhook_deliveries SET claimed_until = ? WHERE claimed_by = ? AND status = 'pending'`,
  );
  const incident = db.prepare(`SELECT ${INCIDENT_COLUMNS} FROM incidents WHERE id = ?`);
  const claimers = db.prepare(
    `SELECT DISTINCT claimed_by FROM webhook_deliveries WHERE status = 'pending' AND claimed_by IS NOT NULL`,
  );
  const dead = sqliteInstanceDead(db);
  return {
    async claimDelivery(id, by, until) {
      claim.run(by, until, id);
    },
    async renewDeliveryClaims(by, until) {
      renew.run(until, by);
    },
    async claimAbandonedDeliveries(c) {
      if (c.labels.length === 0) return [];
      const labels = c.labels.map(() => '?').join(', ');
      // Abandoned: its claim ran out, or its coordinator's process is gone.
      const gone = (claimers.all() as { claimed_by: string }[]).map((r) => r.claimed_by).filter(dead);
      const goneList = gone.length === 0 ? 'NULL' : gone.map(() => '?').join(', ');
      const claimed = db
        .prepare(
          `UPDATE webhook_deliveries SET claimed_by = ?, claimed_until = ?
           WHERE id IN (
             SELECT id FROM webhook_deliveries
             WHERE status = 'pending' AND url IN (${labels}) AND incident_id IS NOT NULL
               AND (claimed_until < ? OR (claimed_until IS NULL AND created_at < ?) OR claimed_by IN (${goneList}))
             ORDER BY id LIMIT ?)
           RETURNING id, event, incident_id, url, created_at`,
        )
        .all(c.by, c.until, ...c.labels, c.now, c.unclaimedBefore, ...gone, c.limit) as {
        id: number;
        event: IncidentEventKind;
        incident_id: number;
        url: string;
        created_at: number;
      }[];
      return claimed
        .flatMap((d) => {
          const r = incident.get(d.incident_id) as IncidentRow | undefined;
          return r
            ? [
                {
                  id: d.id,
                  event: d.event,
                  incident: incidentFromRow(r),
                  label: d.url,
                  createdAt: d.created_at,
                },
              ]
            : [];
        })
        .sort((a, b) => a.id - b.id);
    },
  };
}
