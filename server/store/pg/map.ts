import { type MapStore, newestFirst, type TimelineCount } from '../map-store.ts';
import { DETOUR_FROM, DETOUR_SELECT, type DetourRow, mapDetourRecord } from '../rows.ts';
import { row, rows } from './query.ts';
import type { PgState } from './state.ts';
import { mapWhere } from './where.ts';

export function pgMap(state: PgState): MapStore {
  const { pool } = state;
  return {
    async mapDetourKeys(filter) {
      const w = mapWhere(filter);
      const found = await rows<{ id: number; started_at: number; confirmed: boolean }>(
        pool,
        `SELECT t.id, t.started_at, t.confidence = 'confirmed' AS confirmed FROM traces t ${w.sql}`,
        w.params,
      );
      return newestFirst(
        found.map((r) => Number(r.id)),
        found.map((r) => Number(r.started_at)),
        found.map((r) => r.confirmed === true),
      );
    },
    async mapDetoursByIds(ids) {
      if (ids.length === 0) return [];
      const found = await rows<DetourRow>(
        pool,
        `SELECT ${DETOUR_SELECT} FROM ${DETOUR_FROM} WHERE t.verdict = 'detour' AND t.id = ANY($1::bigint[])`,
        [ids],
      );
      return found.map(mapDetourRecord);
    },
    async mapDetours(filter, limit) {
      const w = mapWhere(filter);
      const total =
        (await row<{ n: number }>(pool, `SELECT COUNT(*) AS n FROM traces t ${w.sql}`, w.params))?.n ?? 0;
      const found = await rows<DetourRow>(
        pool,
        `SELECT ${DETOUR_SELECT} FROM ${DETOUR_FROM} ${w.sql} ORDER BY t.started_at DESC, t.id DESC LIMIT $${w.next}`,
        [...w.params, limit],
      );
      return { detours: found.map(mapDetourRecord), total };
    },
    async mapTimeline(filter, bucketMs) {
      // NULLs first, as SQLite sorts them (PostgreSQL puts them last by default).
      const w = mapWhere(filter);
      const b = `$${w.next}::bigint`;
      return rows<TimelineCount>(
        pool,
        `SELECT (t.started_at / ${b}) * ${b} AS start, (t.foreign_countries::jsonb ->> 0) AS country,
           COUNT(*) AS count
         FROM traces t ${w.sql} GROUP BY 1, 2 ORDER BY 1, 2 NULLS FIRST`,
        [...w.params, bucketMs],
      );
    },
    async mapTimeSpan(filter) {
      const w = mapWhere(filter);
      const span = await row<{ first: number | null; last: number | null }>(
        pool,
        `SELECT MIN(t.started_at) AS first, MAX(t.started_at) AS last FROM traces t ${w.sql}`,
        w.params,
      );
      return span?.first == null || span.last == null ? null : { first: span.first, last: span.last };
    },
    async mapAgents(ref) {
      return rows<{ id: string; name: string }>(
        pool,
        'SELECT id, name FROM agents WHERE id = $1 OR name = $1 ORDER BY name, id',
        [ref],
      );
    },
    async mapDetour(id) {
      const found = await row<DetourRow>(
        pool,
        `SELECT ${DETOUR_SELECT} FROM ${DETOUR_FROM} WHERE t.verdict = 'detour' AND t.id = $1`,
        [id],
      );
      return found ? mapDetourRecord(found) : null;
    },
    async lastTraceId() {
      return (await row<{ id: number }>(pool, 'SELECT COALESCE(MAX(id), 0) AS id FROM traces'))?.id ?? 0;
    },
  };
}
