import type { ClientBase, Pool } from 'pg';
import type { RouterConstraint, RouterConstraintStore, RouterReading } from '../router-constraint-store.ts';
import { REPLACE_WHEN_LOWER_OR_MOVED } from '../router-readings.ts';
import { rows } from './query.ts';

interface ConstraintRow {
  ip: string;
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

/** Only agents verified now, at the position they are verified at (as sqlite/router-constraints.ts). */
const SELECT = `SELECT c.ip, c.agent_id, a.name, c.lat, c.lon, c.rtt_ms, c.at FROM router_constraints c
  JOIN agents a ON a.id = c.agent_id AND a.lat = c.lat AND a.lon = c.lon
  JOIN agent_vantage v ON v.agent_id = c.agent_id AND v.status = 'verified'`;

/** The router constraint group (router-constraint-store.ts) on PostgreSQL. */
export function pgRouterConstraints(pool: Pool): RouterConstraintStore {
  return {
    async routerConstraints(ip) {
      const found = await rows<ConstraintRow>(
        pool,
        `${SELECT} WHERE c.ip = $1 ORDER BY c.rtt_ms, c.agent_id`,
        [ip],
      );
      return found.map(fromRow);
    },
    async routerConstraintsFor(ips) {
      const byIp = new Map<string, RouterConstraint[]>(ips.map((ip) => [ip, []]));
      if (ips.length === 0) return byIp;
      const found = await rows<ConstraintRow>(
        pool,
        `${SELECT} WHERE c.ip = ANY($1::text[]) ORDER BY c.ip, c.rtt_ms, c.agent_id`,
        [[...new Set(ips)]],
      );
      for (const r of found) byIp.get(r.ip)?.push(fromRow(r));
      return byIp;
    },
    async routerName(ip) {
      const found = await rows<{ name: string }>(
        pool,
        'SELECT name FROM router_constraints WHERE ip = $1 AND name IS NOT NULL ORDER BY at DESC LIMIT 1',
        [ip],
      );
      return found[0]?.name ?? null;
    },
  };
}

/**
 * Inside the trace writer's transaction: one statement for the batch (`readings` holds one row per address
 * and agent, as router-readings.ts gives them). A reading replaces the stored one when it is lower, or when the
 * agent has moved.
 */
export async function writeRouterReadings(
  client: ClientBase,
  readings: readonly RouterReading[],
): Promise<void> {
  if (readings.length === 0) return;
  await client.query(
    `INSERT INTO router_constraints AS c (ip, agent_id, rtt_ms, lat, lon, at, name)
     SELECT * FROM unnest($1::text[], $2::text[], $3::float8[], $4::float8[], $5::float8[], $6::bigint[],
       $7::text[])
     ON CONFLICT (ip, agent_id) DO UPDATE SET ${REPLACE_WHEN_LOWER_OR_MOVED}`,
    [
      readings.map((r) => r.ip),
      readings.map((r) => r.agentId),
      readings.map((r) => r.rttMs),
      readings.map((r) => r.lat),
      readings.map((r) => r.lon),
      readings.map((r) => r.at),
      readings.map((r) => r.name),
    ],
  );
}
