import type Database from 'better-sqlite3';
import { type MapStore, newestFirst, type TimelineCount } from '../map-store.ts';
import { DETOUR_FROM, DETOUR_SELECT, type DetourRow, mapDetourRecord, NOT_CONTRADICTED } from '../rows.ts';
import { statementCache } from './statement-cache.ts';
import { mapWhere } from './where.ts';

/**
 * The map's WHERE with its agent conditions read from the agents' index instead of each trace's row: the same
 * rows match, but (verdict, started_at, confidence) then answers from the index alone. A trace row holds its
 * verdict (~6 KB): reading 200,000 of them for `agent_id` took a second (issue 21).
 */
const CONTRADICTED_TRACES = `t.id NOT IN (SELECT c.id FROM traces c WHERE c.agent_id IN
  (SELECT v.agent_id FROM agent_vantage v WHERE v.status = 'contradicted'))`;
const AGENT_BY_ID_OR_NAME = '(t.agent_id = ? OR t.agent_id IN (SELECT id FROM agents WHERE name = ?))';
const AGENT_TRACES = `t.id IN (SELECT a.id FROM traces a WHERE a.agent_id = ? OR a.agent_id IN
  (SELECT id FROM agents WHERE name = ?))`;
const indexOnly = (where: string): string =>
  where.replace(NOT_CONTRADICTED, CONTRADICTED_TRACES).replace(AGENT_BY_ID_OR_NAME, AGENT_TRACES);

/** Ids per `IN (...)`: one cached statement per chunk length, well under SQLite's parameter limit. */
const ID_CHUNK = 500;

export function sqliteMap(db: Database.Database): MapStore {
  const stmt = statementCache(db);
  const byId = db.prepare(
    `SELECT ${DETOUR_SELECT} FROM ${DETOUR_FROM} WHERE t.verdict = 'detour' AND t.id = ?`,
  );
  const lastId = db.prepare('SELECT COALESCE(MAX(id), 0) FROM traces').pluck();
  const agents = db.prepare('SELECT id, name FROM agents WHERE id = ? OR name = ? ORDER BY name, id');

  return {
    async mapDetourKeys(filter) {
      const w = mapWhere(filter);
      // One row of three JSON lists: SQLite builds them in C, far faster than 200,000 rows to JavaScript.
      const [ids, startedAt, confirmed] = stmt(
        `SELECT json_group_array(t.id), json_group_array(t.started_at),
           json_group_array(t.confidence = 'confirmed') FROM traces t ${indexOnly(w.sql)}`,
      )
        .raw()
        .get(...w.params) as [string, string, string];
      const flags = (JSON.parse(confirmed) as number[]).map((c) => c === 1);
      return newestFirst(JSON.parse(ids) as number[], JSON.parse(startedAt) as number[], flags);
    },
    async mapDetoursByIds(ids) {
      const out = [];
      for (let i = 0; i < ids.length; i += ID_CHUNK) {
        const chunk = ids.slice(i, i + ID_CHUNK);
        const rows = stmt(
          `SELECT ${DETOUR_SELECT} FROM ${DETOUR_FROM} WHERE t.verdict = 'detour'
           AND t.id IN (${chunk.map(() => '?').join(', ')})`,
        ).all(...chunk) as DetourRow[];
        out.push(...rows.map(mapDetourRecord));
      }
      return out;
    },
    async mapDetours(filter, limit) {
      const w = mapWhere(filter);
      const total = stmt(`SELECT COUNT(*) FROM traces t ${indexOnly(w.sql)}`)
        .pluck()
        .get(...w.params) as number;
      const rows = stmt(
        `SELECT ${DETOUR_SELECT} FROM ${DETOUR_FROM} ${indexOnly(w.sql)} ORDER BY t.started_at DESC, t.id DESC LIMIT ?`,
      ).all(...w.params, limit) as DetourRow[];
      return { detours: rows.map(mapDetourRecord), total };
    },
    async mapTimeline(filter, bucketMs) {
      const w = mapWhere(filter);
      return stmt(
        `SELECT (t.started_at / CAST(? AS INTEGER)) * CAST(? AS INTEGER) AS start, json_extract(t.foreign_countries, '$[0]') AS country,
           COUNT(*) AS count
         FROM traces t ${w.sql} GROUP BY start, country ORDER BY start, country`,
      ).all(bucketMs, bucketMs, ...w.params) as TimelineCount[];
    },
    async mapTimeSpan(filter) {
      const w = mapWhere(filter);
      const span = stmt(
        `SELECT MIN(t.started_at) AS first, MAX(t.started_at) AS last FROM traces t ${w.sql}`,
      ).get(...w.params) as { first: number | null; last: number | null };
      return span.first === null || span.last === null ? null : { first: span.first, last: span.last };
    },
    async mapAgents(ref) {
      return agents.all(ref, ref) as { id: string; name: string }[];
    },
    async mapDetour(id) {
      const row = byId.get(id) as DetourRow | undefined;
      return row ? mapDetourRecord(row) : null;
    },
    async lastTraceId() {
      return lastId.get() as number;
    },
  };
}
