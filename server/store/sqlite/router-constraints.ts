import type Database from 'better-sqlite3';
import type { RouterConstraint, RouterConstraintStore, RouterReading } from '../router-constraint-store.ts';
import { REPLACE_WHEN_LOWER_OR_MOVED } from '../router-readings.ts';

interface ConstraintRow {
  agent_id: string;
  name: string;
  lat: number;
  lon: number;
  rtt_ms: number;
  at: number;
}

const fromRow = (r: ConstraintRow): RouterConstraint => ({
  agentId: r.agent_id,
  agentName: r.name,
  lat: r.lat,
  lon: r.lon,
  minRttMs: r.rtt_ms,
  at: r.at,
});

/**
 * The router constraint group (router-constraint-store.ts) on SQLite, and the write the trace writer calls
 * inside its transaction. A reading replaces the stored one when it is lower, or when the agent has moved (a
 * bound measured from elsewhere says nothing about the new position); reads keep only agents verified now, at
 * the position they are verified at.
 */
export function sqliteRouterConstraints(db: Database.Database): {
  routerConstraints: RouterConstraintStore;
  writeRouterReadings: (readings: readonly RouterReading[]) => void;
} {
  const s = {
    upsert: db.prepare(
      `INSERT INTO router_constraints AS c (ip, agent_id, rtt_ms, lat, lon, at, name)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (ip, agent_id) DO UPDATE SET ${REPLACE_WHEN_LOWER_OR_MOVED}`,
    ),
    name: db
      .prepare(
        'SELECT name FROM router_constraints WHERE ip = ? AND name IS NOT NULL ORDER BY at DESC LIMIT 1',
      )
      .pluck(),
    byIp: db.prepare(
      `SELECT c.agent_id, a.name, c.lat, c.lon, c.rtt_ms, c.at FROM router_constraints c
       JOIN agents a ON a.id = c.agent_id AND a.lat = c.lat AND a.lon = c.lon
       JOIN agent_vantage v ON v.agent_id = c.agent_id AND v.status = 'verified'
       WHERE c.ip = ? ORDER BY c.rtt_ms, c.agent_id`,
    ),
  };
  const read = (ip: string): RouterConstraint[] => (s.byIp.all(ip) as ConstraintRow[]).map(fromRow);
  return {
    routerConstraints: {
      async routerConstraints(ip) {
        return read(ip);
      },
      async routerConstraintsFor(ips) {
        return new Map(ips.map((ip) => [ip, read(ip)]));
      },
      async routerName(ip) {
        return (s.name.get(ip) as string | undefined) ?? null;
      },
    },
    writeRouterReadings(readings) {
      for (const r of readings) s.upsert.run(r.ip, r.agentId, r.rttMs, r.lat, r.lon, r.at, r.name);
    },
  };
}
