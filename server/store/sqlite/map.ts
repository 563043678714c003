import type Database from 'better-sqlite3';
import type { MapStore } from '../map-store.ts';
import { DETOUR_FROM, DETOUR_SELECT, type DetourRow, mapDetourRecord } from './rows.ts';
import { statementCache } from './statement-cache.ts';
import { detourWhere } from './where.ts';

export function sqliteMap(db: Database.Database): MapStore {
  const stmt = statementCache(db);
  const newer = db.prepare(
    `SELECT ${DETOUR_SELECT} FROM ${DETOUR_FROM} WHERE t.verdict = 'detour' AND t.id > ? ORDER BY t.id LIMIT ?`,
  );
  const byId = db.prepare(
    `SELECT ${DETOUR_SELECT} FROM ${DETOUR_FROM} WHERE t.verdict = 'detour' AND t.id = ?`,
  );
  const lastId = db.prepare('SELECT COALESCE(MAX(id), 0) FROM traces').pluck();

  return {
    async mapDetours(filter, limit) {
      const w = detourWhere(filter, null);
      const total = stmt(`SELECT COUNT(*) FROM traces t ${w.sql}`)
        .pluck()
        .get(...w.params) as number;
      const rows = stmt(
        `SELECT ${DETOUR_SELECT} FROM ${DETOUR_FROM} ${w.sql} ORDER BY t.started_at DESC, t.id DESC LIMIT ?`,
      ).all(...w.params, limit) as DetourRow[];
      return { detours: rows.map(mapDetourRecord), total };
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
