import type Database from 'better-sqlite3';
import type { MapStore, TimelineCount } from '../map-store.ts';
import { DETOUR_FROM, DETOUR_SELECT, type DetourRow, mapDetourRecord, NOT_CONTRADICTED } from '../rows.ts';
import { statementCache } from './statement-cache.ts';
import { mapWhere } from './where.ts';

export function sqliteMap(db: Database.Database): MapStore {
  const stmt = statementCache(db);
  const newer = db.prepare(
    `SELECT ${DETOUR_SELECT} FROM ${DETOUR_FROM} WHERE t.verdict = 'detour' AND t.id > ? AND ${NOT_CONTRADICTED}
     ORDER BY t.id LIMIT ?`,
  );
  const byId = db.prepare(
    `SELECT ${DETOUR_SELECT} FROM ${DETOUR_FROM} WHERE t.verdict = 'detour' AND t.id = ?`,
  );
  const lastId = db.prepare('SELECT COALESCE(MAX(id), 0) FROM traces').pluck();
  const agents = db.prepare('SELECT id, name FROM agents WHERE id = ? OR name = ? ORDER BY name, id');

  return {
    async mapDetours(filter, limit) {
      const w = mapWhere(filter);
      const total = stmt(`SELECT COUNT(*) FROM traces t ${w.sql}`)
        .pluck()
        .get(...w.params) as number;
      const rows = stmt(
        `SELECT ${DETOUR_SELECT} FROM ${DETOUR_FROM} ${w.sql} ORDER BY t.started_at DESC, t.id DESC LIMIT ?`,
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
    async detoursAfter(afterId, limit) {
      return (newer.all(afterId, limit) as DetourRow[]).map(mapDetourRecord);
    },
    async lastTraceId() {
      return lastId.get() as number;
    },
  };
}
