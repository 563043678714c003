import type Database from 'better-sqlite3';
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
import type { VantageOverride, VantageStore } from '../vantage-store.ts';

/** The vantage group (vantage-store.ts) on SQLite. Samples are written by the incident fold's transaction. */
export function sqliteVantage(db: Database.Database): VantageStore {
  const s = {
    get: db.prepare(`SELECT ${VANTAGE_COLUMNS} FROM agent_vantage WHERE agent_id = ?`),
    list: db.prepare(`SELECT ${VANTAGE_COLUMNS} FROM agent_vantage ORDER BY agent_id`),
    save: db.prepare(
      saveVantageSql('@agentId, @status, @owner, @addressPrefix, @asn, @city, @location, @evaluatedAt'),
    ),
    samples: db.prepare(
      `SELECT ${SAMPLE_COLUMNS} FROM vantage_samples WHERE agent_id = ?
       UNION ALL SELECT ${SAMPLE_COLUMNS} FROM vantage_samples WHERE kind = 'mesh' AND subject = ?`,
    ),
    toEvaluate: db.prepare(vantagesToEvaluateSql('?')).pluck(),
    agentExists: db.prepare('SELECT 1 FROM agents WHERE id = ?').pluck(),
    setOverride: db.prepare(
      `INSERT INTO vantage_overrides (agent_id, by_whom, note, at) VALUES (?, ?, ?, ?)
       ON CONFLICT (agent_id) DO UPDATE SET by_whom = excluded.by_whom, note = excluded.note, at = excluded.at`,
    ),
    override: db.prepare('SELECT by_whom, note, at FROM vantage_overrides WHERE agent_id = ?'),
    // Both from indexes: traces_agent_started, and the partial traces_implausible_agent (migration 6).
    traces: db.prepare('SELECT COUNT(*) FROM traces WHERE agent_id = ? AND started_at >= ?').pluck(),
    implausible: db
      .prepare(
        "SELECT COUNT(*) FROM traces WHERE agent_id = ? AND started_at >= ? AND verdict = 'implausible'",
      )
      .pluck(),
    implausibleByAgent: db.prepare(
      `SELECT agent_id, COUNT(*) AS n FROM traces WHERE verdict = 'implausible' AND agent_id IS NOT NULL
       GROUP BY agent_id`,
    ),
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
    async traceCounts(agentId, since) {
      return {
        traces: s.traces.get(agentId, since) as number,
        implausible: s.implausible.get(agentId, since) as number,
      };
    },
    async implausibleCounts() {
      const found = s.implausibleByAgent.all() as { agent_id: string; n: number }[];
      return new Map(found.map((r) => [r.agent_id, r.n]));
    },
  };
}
