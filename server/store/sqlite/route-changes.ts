import type Database from 'better-sqlite3';
import type { MeasurementStore } from '../measurement-store.ts';
import { pageOf } from '../paging.ts';
import type { RouteChangeStore } from '../route-change-store.ts';
import { ROUTE_CHANGE_COLUMNS, type RouteChangeRow, routeChangeItem } from '../rows.ts';
import { statementCache } from './statement-cache.ts';

/** Route-change pages (route_changes_agent / _target / _at) and the trace of a task's result. */
export function sqliteRouteChanges(db: Database.Database): RouteChangeStore & MeasurementStore {
  const stmt = statementCache(db);
  const ofResult = db
    .prepare('SELECT MIN(t.id) FROM results r JOIN traces t ON t.result_id = r.id WHERE r.result_id = ?')
    .pluck();
  return {
    async routeChangePage(filter, page) {
      const parts: [string, string | number][] = [];
      if (filter.agent !== null) parts.push(['agent_id = ?', filter.agent]);
      if (filter.target !== null) parts.push(['target = ?', filter.target]);
      if (filter.since !== null) parts.push(['at >= ?', filter.since]);
      if (page.after !== null) parts.push(['id < ?', page.after]);
      const where = parts.length === 0 ? '' : `WHERE ${parts.map(([sql]) => sql).join(' AND ')}`;
      const sql = `SELECT ${ROUTE_CHANGE_COLUMNS} FROM route_changes ${where} ORDER BY id DESC LIMIT ?`;
      const found = stmt(sql).all(...parts.map(([, v]) => v), page.limit + 1) as RouteChangeRow[];
      return pageOf(found, page, routeChangeItem);
    },
    async routeChangesAfter(afterId, limit) {
      const sql = `SELECT ${ROUTE_CHANGE_COLUMNS} FROM route_changes WHERE id > ? ORDER BY id LIMIT ?`;
      return (stmt(sql).all(afterId, limit) as RouteChangeRow[]).map(routeChangeItem);
    },
    async lastRouteChangeId() {
      return (stmt('SELECT MAX(id) FROM route_changes').pluck().get() as number | null) ?? 0;
    },
    async traceIdOfResult(resultId) {
      return (ofResult.get(resultId) as number | null | undefined) ?? null;
    },
  };
}
