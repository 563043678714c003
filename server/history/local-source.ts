import { exportChunks } from '../export/formats.ts';
import { writeChunks } from '../export/write-stream.ts';
import type { HistoryStore } from '../store/history-store.ts';
import type { RouteChangeStore } from '../store/route-change-store.ts';
import { readDetourFilter, readIncidentFilter, readPage, readQuery } from './filters.ts';
import type { HistorySource } from './history-source.ts';
import { ROUTE_PARAMS } from './param-specs.ts';
import { ROUTE_CHANGE_PARAMS, readRouteChangeFilter } from './route-change-filter.ts';

/** History read from the store itself (`--data`), through the same validation as the API. */
export function localHistorySource(
  store: HistoryStore & RouteChangeStore,
  close: () => Promise<void>,
  now = Date.now,
): HistorySource {
  const params = (q: Record<string, string>, specs: Parameters<typeof readQuery>[1]) =>
    readQuery(new URLSearchParams(q), specs);
  return {
    async detours(query) {
      const q = params(query, ROUTE_PARAMS.detours);
      const page = readPage(q, now());
      return store.detourPage(readDetourFilter(q, page.now), page);
    },
    async exportDetours(query, format, out) {
      const filter = readDetourFilter(params(query, ROUTE_PARAMS.detours), now());
      await writeChunks(exportChunks(format, store.detourExport(filter)), out);
    },
    async incidents(query) {
      const q = params(query, ROUTE_PARAMS.incidents);
      const page = readPage(q, now());
      return store.incidentPage(readIncidentFilter(q, page.now), page);
    },
    async incident(id) {
      return store.incidentDetail(id);
    },
    async incidentTraces(id, query) {
      return store.incidentTracePage(id, readPage(params(query, ROUTE_PARAMS.incidentTraces), now()));
    },
    async routeChanges(query) {
      const q = params(query, ROUTE_CHANGE_PARAMS);
      const page = readPage(q, now());
      return store.routeChangePage(readRouteChangeFilter(q, page.now), page);
    },
    close,
  };
}
