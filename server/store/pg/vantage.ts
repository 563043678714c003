import type { Pool } from 'pg';
import {
  SAMPLE_COLUMNS,
  type SampleRow,
  sampleFromRow,
  saveVantageSql,
  VANTAGE_COLUMNS,
  type VantageRow,
  vantageFromRow,
  vantageParams,
  vantagesToEvaluateSql,
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
      await pool.query(saveVantageSql('$1, $2, $3, $4, $5, $6, $7, $8'), [
        p.agentId,
        p.status,
        p.owner,
        p.addressPrefix,
        p.asn,
        p.city,
        p.location,
        p.evaluatedAt,
      ]);
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
      return (await rows<{ id: string }>(pool, vantagesToEvaluateSql('$1'), [limit])).map((r) => r.id);
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
    async traceCounts(agentId, since) {
      // One pass over the agent's traces in the window (traces_agent; the window prunes old months).
      const r = await row<{ traces: string; implausible: string }>(
        pool,
        `SELECT COUNT(*) AS traces, COUNT(*) FILTER (WHERE verdict = 'implausible') AS implausible
         FROM traces WHERE agent_id = $1 AND started_at >= $2`,
        [agentId, since],
      );
      return { traces: Number(r?.traces ?? 0), implausible: Number(r?.implausible ?? 0) };
    },
    async implausibleCounts() {
      // From the partial index traces_implausible_agent alone.
      const found = await rows<{ agent_id: string; n: string }>(
        pool,
        `SELECT agent_id, COUNT(*) AS n FROM traces WHERE verdict = 'implausible' AND agent_id IS NOT NULL
         GROUP BY agent_id`,
      );
      return new Map(found.map((r) => [r.agent_id, Number(r.n)]));
    },
  };
}
