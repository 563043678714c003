import type { Pool } from 'pg';
import {
  SAMPLE_COLUMNS,
  type SampleRow,
  sampleFromRow,
  VANTAGE_COLUMNS,
  type VantageRow,
  vantageFromRow,
  vantageParams,
} from '../rows.ts';
import type { VantageStore } from '../vantage-store.ts';
import { changes, row, rows } from './query.ts';

/** The vantage group (vantage-store.ts) on PostgreSQL, as sqlite/vantage.ts. */
export function pgVantage(pool: Pool): VantageStore {
  return {
    async getVantage(agentId) {
      const r = await row<VantageRow>(
        pool,
        `SELECT ${VANTAGE_COLUMNS} FROM agent_vantage WHERE agent_id = $1`,
        [agentId],
      );
      return r ? vantageFromRow(r) : null;
    },
    async listVantages() {
      return (
        await rows<VantageRow>(pool, `SELECT ${VANTAGE_COLUMNS} FROM agent_vantage ORDER BY agent_id`)
      ).map(vantageFromRow);
    },
    async saveVantage(record) {
      const p = vantageParams(record);
      await pool.query(
        `INSERT INTO agent_vantage (agent_id, status, owner, address_prefix, asn, city, location_json, evaluated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (agent_id) DO UPDATE SET status = excluded.status, owner = excluded.owner,
           address_prefix = excluded.address_prefix, asn = excluded.asn, city = excluded.city,
           location_json = excluded.location_json, evaluated_at = excluded.evaluated_at`,
        [p.agentId, p.status, p.owner, p.addressPrefix, p.asn, p.city, p.location, p.evaluatedAt],
      );
    },
    async vantageSamples(agentId) {
      return (
        await rows<SampleRow>(
          pool,
          `SELECT ${SAMPLE_COLUMNS} FROM vantage_samples WHERE agent_id = $1
           UNION ALL SELECT ${SAMPLE_COLUMNS} FROM vantage_samples WHERE kind = 'mesh' AND subject = $1`,
          [agentId],
        )
      ).map(sampleFromRow);
    },
    async vantagesToEvaluate(limit) {
      return (
        await rows<{ id: string }>(
          pool,
          `SELECT a.id FROM agents a LEFT JOIN agent_vantage v ON v.agent_id = a.id
           WHERE v.agent_id IS NULL
             OR EXISTS (SELECT 1 FROM vantage_samples s WHERE s.agent_id = a.id AND s.updated_at > v.evaluated_at)
             OR EXISTS (SELECT 1 FROM vantage_samples s
                        WHERE s.kind = 'mesh' AND s.subject = a.id AND s.updated_at > v.evaluated_at)
             OR EXISTS (SELECT 1 FROM vantage_overrides o WHERE o.agent_id = a.id AND o.at > v.evaluated_at)
           ORDER BY COALESCE(v.evaluated_at, 0), a.id LIMIT $1`,
          [limit],
        )
      ).map((r) => r.id);
    },
    async setVantageOverride(agentId, o) {
      const n = await changes(
        pool,
        `INSERT INTO vantage_overrides (agent_id, by_whom, note, at)
         SELECT id, $2, $3, $4 FROM agents WHERE id = $1
         ON CONFLICT (agent_id) DO UPDATE SET by_whom = excluded.by_whom, note = excluded.note, at = excluded.at`,
        [agentId, o.by, o.note, o.at],
      );
      return n > 0;
    },
    async getVantageOverride(agentId) {
      const r = await row<{ by_whom: string; note: string; at: number }>(
        pool,
        'SELECT by_whom, note, at FROM vantage_overrides WHERE agent_id = $1',
        [agentId],
      );
      return r ? { by: r.by_whom, note: r.note, at: Number(r.at) } : null;
    },
  };
}
