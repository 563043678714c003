import type { Pool } from 'pg';
import type { MeasurementStore } from '../measurement-store.ts';
import { pageOf } from '../paging.ts';
import type { RouteChangeStore } from '../route-change-store.ts';
import { ROUTE_CHANGE_COLUMNS, type RouteChangeRow, routeChangeItem } from '../rows.ts';
import { row, rows } from './query.ts';

/** Route-change pages (route_changes_agent / _target / _at) and the trace of a task's result (traces_result). */
export function pgRouteChanges(pool: Pool): RouteChangeStore & MeasurementStore {
  return {
    async routeChangePage(filter, page) {
      const parts: string[] = [];
      const params: (string | number)[] = [];
      const add = (sql: string, value: string | number) => {
        params.push(value);
        parts.push(`${sql} $${params.length}`);
      };
      if (filter.agent !== null) add('agent_id =', filter.agent);
      if (filter.target !== null) add('target =', filter.target);
      if (filter.since !== null) add('at >=', filter.since);
      if (page.after !== null) add('id <', page.after);
      const where = parts.length === 0 ? '' : `WHERE ${parts.join(' AND ')}`;
      const found = await rows<RouteChangeRow>(
        pool,
        `SELECT ${ROUTE_CHANGE_COLUMNS} FROM route_changes ${where} ORDER BY id DESC LIMIT $${params.length + 1}`,
        [...params, page.limit + 1],
      );
      return pageOf(found, page, routeChangeItem);
    },
    async routeChangesAfter(afterId, limit) {
      const found = await rows<RouteChangeRow>(
        pool,
        `SELECT ${ROUTE_CHANGE_COLUMNS} FROM route_changes WHERE id > $1 ORDER BY id LIMIT $2`,
        [afterId, limit],
      );
      return found.map(routeChangeItem);
    },
    async lastRouteChangeId() {
      const found = await row<{ id: number | null }>(pool, 'SELECT MAX(id) AS id FROM route_changes', []);
      return found?.id ?? 0;
    },
    async traceIdOfResult(resultId) {
      const found = await row<{ id: number | null }>(
        pool,
        'SELECT MIN(t.id) AS id FROM results r JOIN traces t ON t.result_id = r.id WHERE r.result_id = $1',
        [resultId],
      );
      return found?.id ?? null;
    },
  };
}
