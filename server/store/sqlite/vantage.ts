import type Database from 'better-sqlite3';
import {
  SAMPLE_COLUMNS,
  type SampleRow,
  sampleFromRow,
  VANTAGE_COLUMNS,
  type VantageRow,
  vantageFromRow,
  vantageParams,
} from '../rows.ts';
import type { VantageOverride, VantageStore } from '../vantage-store.ts';

/** The vantage group (vantage-store.ts) on SQLite. Samples are written by the incident fold's transaction. */
export function sqliteVantage(db: Database.Database): VantageStore {
  const s = {
    get: db.prepare(`SELECT ${VANTAGE_COLUMNS} FROM agent_vantage WHERE agent_id = ?`),
    list: db.prepare(`SELECT ${VANTAGE_COLUMNS} FROM agent_vantage ORDER BY agent_id`),
    save: db.prepare(
      `INSERT INTO agent_vantage (agent_id, status, owner, address_prefix, asn, city, location_json, evaluated_at)
       VALUES (@agentId, @status, @owner, @addressPrefix, @asn, @city, @location, @evaluatedAt)
       ON CONFLICT (agent_id) DO UPDATE SET status = excluded.status, owner = excluded.owner,
         address_prefix = excluded.address_prefix, asn = excluded.asn, city = excluded.city,
         location_json = excluded.location_json, evaluated_at = excluded.evaluated_at`,
    ),
    samples: db.prepare(
      `SELECT ${SAMPLE_COLUMNS} FROM vantage_samples WHERE agent_id = ?
       UNION ALL SELECT ${SAMPLE_COLUMNS} FROM vantage_samples WHERE kind = 'mesh' AND subject = ?`,
    ),
    // Never evaluated, or measured (by itself or, for the mesh, by another agent) since.
    toEvaluate: db
      .prepare(
        `SELECT a.id FROM agents a LEFT JOIN agent_vantage v ON v.agent_id = a.id
         WHERE v.agent_id IS NULL
           OR EXISTS (SELECT 1 FROM vantage_samples s WHERE s.agent_id = a.id AND s.updated_at > v.evaluated_at)
           OR EXISTS (SELECT 1 FROM vantage_samples s
                      WHERE s.kind = 'mesh' AND s.subject = a.id AND s.updated_at > v.evaluated_at)
           OR EXISTS (SELECT 1 FROM vantage_overrides o WHERE o.agent_id = a.id AND o.at > v.evaluated_at)
         ORDER BY COALESCE(v.evaluated_at, 0), a.id LIMIT ?`,
      )
      .pluck(),
    agentExists: db.prepare('SELECT 1 FROM agents WHERE id = ?').pluck(),
    setOverride: db.prepare(
      `INSERT INTO vantage_overrides (agent_id, by_whom, note, at) VALUES (?, ?, ?, ?)
       ON CONFLICT (agent_id) DO UPDATE SET by_whom = excluded.by_whom, note = excluded.note, at = excluded.at`,
    ),
    override: db.prepare('SELECT by_whom, note, at FROM vantage_overrides WHERE agent_id = ?'),
  };
  return {
    async getVantage(agentId) {
      const row = s.get.get(agentId) as VantageRow | undefined;
      return row ? vantageFromRow(row) : null;
    },
    async listVantages() {
      return (s.list.all() as VantageRow[]).map(vantageFromRow);
    },
    async saveVantage(record) {
      s.save.run(vantageParams(record));
    },
    async vantageSamples(agentId) {
      return (s.samples.all(agentId, agentId) as SampleRow[]).map(sampleFromRow);
    },
    async vantagesToEvaluate(limit) {
      return s.toEvaluate.all(limit) as string[];
    },
    async setVantageOverride(agentId, o) {
      if (s.agentExists.get(agentId) === undefined) return false;
      s.setOverride.run(agentId, o.by, o.note, o.at);
      return true;
    },
    async getVantageOverride(agentId) {
      const row = s.override.get(agentId) as { by_whom: string; note: string; at: number } | undefined;
      return row ? ({ by: row.by_whom, note: row.note, at: row.at } satisfies VantageOverride) : null;
    },
  };
}
