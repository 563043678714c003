import type Database from 'better-sqlite3';
import { exportChunks } from '../export/formats.ts';
import { writeChunks } from '../export/write-stream.ts';
import { readDetourFilter, readIncidentFilter, readPage, readQuery } from './filters.ts';
import type { HistorySource } from './history-source.ts';
import { ROUTE_PARAMS } from './param-specs.ts';
import { createHistoryQueries } from './queries.ts';

/** History read from the database file itself, through the same validation as the API. */
export function localHistorySource(
  db: Database.Database,
  close: () => Promise<void>,
  now = Date.now,
): HistorySource {
  const queries = createHistoryQueries(db);
  const params = (q: Record<string, string>, specs: Parameters<typeof readQuery>[1]) =>
    readQuery(new URLSearchParams(q), specs);
  return {
    async detours(query) {
      const q = params(query, ROUTE_PARAMS.detours);
      const page = readPage(q, now());
      return queries.detours(readDetourFilter(q, page.now), page);
    },
    async exportDetours(query, format, out) {
      const filter = readDetourFilter(params(query, ROUTE_PARAMS.detours), now());
      await writeChunks(exportChunks(format, queries.iterateDetours(filter)), out);
    },
    async incidents(query) {
      const q = params(query, ROUTE_PARAMS.incidents);
      const page = readPage(q, now());
      return queries.incidents(readIncidentFilter(q, page.now), page);
    },
    async incident(id) {
      return queries.incident(id);
    },
    async incidentTraces(id, query) {
      return queries.incidentTraces(id, readPage(params(query, ROUTE_PARAMS.incidentTraces), now()));
    },
    close,
  };
}
