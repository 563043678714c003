/**
 * The operators' queries on PostgreSQL: the same answers, order and cursors as sqlite/history.ts (the rows
 * map through ../rows.ts, pages through ../paging.ts).
 *
 * The indexes these queries need (schema.ts creates exactly these; `npx tsx server/store/pg/explain-history.ts`
 * prints each plan):
 *
 *   query                                          index
 *   tracePage, newest first                        traces PRIMARY KEY (id, started_at), merged across months
 *   tracePage since/until, dailyStats              traces_started (started_at) INCLUDE (verdict, confidence)
 *   tracePage agent, dailyStats of an agent        traces_agent (agent_id, id)
 *   tracePage target                               traces_destination_ip (destination_ip, id),
 *                                                  traces_destination_name (lower(destination_name), id)
 *   detourPage, detourExport, map live feed        traces_detour (id) WHERE verdict = 'detour'
 *   detourPage agent                               traces_detour_agent (agent_id, id) WHERE verdict = 'detour'
 *   detourPage via country / AS                    foreign_hops_country (country, trace_id),
 *                                                  foreign_hops_asn (asn, trace_id)
 *   map detours (by start time)                    traces_detour_started (started_at, id) WHERE detour
 *   every trace list's incident                    incident_traces_trace (trace_id)
 *   incidentTracePage                              incident_traces PRIMARY KEY (incident_id, trace_id)
 *   incidentPage, incidentDetail                   incidents PRIMARY KEY (small table: filters on the rows)
 *   baselinePage agent                             baselines_agent (agent_id, id)
 *   incidentDetail's baselines                     baselines UNIQUE (subject, target)
 *   traceDetail's hops                             hops PRIMARY KEY (trace_id, started_at, ttl, seq)
 */

import { destinationPrefix } from '../../../protocol/address/prefix.ts';
import type { DetourItem, StatsReport } from '../../../protocol/history-api.ts';
import { DAY_MS, statsWindow } from '../../history/stats-window.ts';
import { incidentJson } from '../../incidents/incident-json.ts';
import type { HistoryCounts, HistoryStore } from '../history-store.ts';
import { EXPORT_CHUNK, pageOf } from '../paging.ts';
import {
  BASELINE_COLUMNS,
  type BaselineRow,
  baselineItem,
  DELIVERY_COLUMNS,
  DETOUR_FROM,
  DETOUR_SELECT,
  type DeliveryRow,
  type DetourRow,
  deliveryItem,
  detourItem,
  HISTORY_COUNTS_SELECT,
  HOP_COLUMNS,
  hopItem,
  INCIDENT_COLUMNS,
  type IncidentRow,
  incidentFromRow,
  iso,
  type StoredHopRow,
  TRACE_FROM,
  TRACE_SELECT,
  type TraceRow,
  traceItem,
} from '../rows.ts';
import { decodeVerdict } from '../verdict-codec.ts';
import { row, rows } from './query.ts';
import { HOPS_DROPPED_BEFORE, type PgState } from './state.ts';
import { detourWhere, incidentWhere, traceWhere } from './where.ts';

/**
 * Traces per UTC day of [since, until), days without traces left out, read once from traces_started (an
 * index-only scan of the window's months); with an agent, its rows through traces_agent instead.
 */
const statsSql = (agent: boolean) =>
  `SELECT (floor(started_at::float8 / ${DAY_MS}) * ${DAY_MS})::bigint AS start, COUNT(*) AS traces,
     COUNT(*) FILTER (WHERE verdict IN ('domestic', 'detour')) AS judged,
     COUNT(*) FILTER (WHERE verdict = 'detour') AS detours,
     COUNT(*) FILTER (WHERE verdict = 'detour' AND confidence = 'confirmed') AS confirmed
   FROM traces WHERE started_at >= $1 AND started_at < $2${agent ? ' AND agent_id = $3' : ''}
   GROUP BY 1 ORDER BY 1`;

export function pgHistory(state: PgState): HistoryStore {
  const { pool } = state;
  const lastTraceId = async (): Promise<number> =>
    (await row<{ id: number }>(pool, 'SELECT COALESCE(MAX(id), 0) AS id FROM traces'))?.id ?? 0;

  return {
    async tracePage(filter, page) {
      const w = traceWhere(filter, page.after);
      const found = await rows<TraceRow>(
        pool,
        `SELECT ${TRACE_SELECT} FROM ${TRACE_FROM} ${w.sql} ORDER BY t.id DESC LIMIT $${w.next}`,
        [...w.params, page.limit + 1],
      );
      return pageOf(found, page, traceItem);
    },

    async traceDetail(id) {
      const found = await row<
        TraceRow & { verdict_json: string; verdict_z: Buffer | null; hops_purged: boolean }
      >(
        pool,
        `SELECT ${TRACE_SELECT}, t.verdict_json, t.verdict_z,
           (t.hops_purged_at IS NOT NULL OR t.started_at < COALESCE(
             (SELECT value FROM history_state WHERE name = $2), 0)) AS hops_purged
         FROM ${TRACE_FROM} WHERE t.id = $1`,
        [id, HOPS_DROPPED_BEFORE],
      );
      if (!found) return null;
      const hops = await rows<StoredHopRow>(
        pool,
        `SELECT ${HOP_COLUMNS} FROM hops WHERE trace_id = $1 AND started_at = $2 ORDER BY ttl, seq`,
        [id, found.started_at],
      );
      return {
        ...traceItem(found),
        hopsPurged: found.hops_purged,
        hops: hops.map(hopItem),
        verdictDetail: decodeVerdict(found.verdict_json, found.verdict_z),
      };
    },

    async detourPage(filter, page) {
      const w = detourWhere(filter, page.after);
      const found = await rows<DetourRow>(
        pool,
        `SELECT ${DETOUR_SELECT} FROM ${DETOUR_FROM} ${w.sql} ORDER BY t.id DESC LIMIT $${w.next}`,
        [...w.params, page.limit + 1],
      );
      return pageOf(found, page, detourItem);
    },

    async *detourExport(filter): AsyncGenerator<DetourItem> {
      // What was stored when the export began: a long download does not chase new traces.
      const upTo = await lastTraceId();
      let after = 0;
      for (;;) {
        const w = detourWhere(filter, after, 'asc', upTo);
        const found = await rows<DetourRow>(
          pool,
          `SELECT ${DETOUR_SELECT} FROM ${DETOUR_FROM} ${w.sql} ORDER BY t.id LIMIT ${EXPORT_CHUNK}`,
          w.params,
        );
        for (const r of found) yield detourItem(r);
        const last = found[found.length - 1];
        if (found.length < EXPORT_CHUNK || last === undefined) return;
        after = last.id;
      }
    },

    async incidentPage(filter, page) {
      const w = incidentWhere(filter, page.after);
      const found = await rows<IncidentRow>(
        pool,
        `SELECT ${INCIDENT_COLUMNS} FROM incidents i ${w.sql} ORDER BY i.id DESC LIMIT $${w.next}`,
        [...w.params, page.limit + 1],
      );
      return pageOf(found, page, (r) => incidentJson(incidentFromRow(r)));
    },

    async incidentDetail(id) {
      const found = await row<IncidentRow>(pool, `SELECT ${INCIDENT_COLUMNS} FROM incidents WHERE id = $1`, [
        id,
      ]);
      if (!found) return null;
      const baselines = (
        await rows<BaselineRow>(
          pool,
          `SELECT ${BASELINE_COLUMNS} FROM baselines WHERE subject = $1 ORDER BY id`,
          [found.subject],
        )
      )
        .filter((b) => destinationPrefix(b.target) === found.destination_prefix)
        .map(baselineItem);
      return { ...incidentJson(incidentFromRow(found)), baselines };
    },

    async incidentTracePage(incidentId, page) {
      const after = page.after === null ? '' : 'AND it.trace_id < $3';
      const found = await rows<TraceRow>(
        pool,
        `SELECT ${TRACE_SELECT} FROM incident_traces it
           JOIN traces t ON t.id = it.trace_id AND t.started_at = it.started_at
           LEFT JOIN results r ON r.id = t.result_id
         WHERE it.incident_id = $1 ${after} ORDER BY it.trace_id DESC LIMIT $2`,
        page.after === null ? [incidentId, page.limit + 1] : [incidentId, page.limit + 1, page.after],
      );
      return pageOf(found, page, traceItem);
    },

    async baselinePage(filter, page) {
      const parts: string[] = [];
      const params: (string | number)[] = [];
      const add = (sql: string, value: string | number) => {
        params.push(value);
        parts.push(`${sql} $${params.length}`);
      };
      if (filter.agent !== null) add('agent_id =', filter.agent);
      if (filter.target !== null) add('target =', filter.target);
      if (page.after !== null) add('id <', page.after);
      const where = parts.length === 0 ? '' : `WHERE ${parts.join(' AND ')}`;
      const found = await rows<BaselineRow>(
        pool,
        `SELECT ${BASELINE_COLUMNS} FROM baselines ${where} ORDER BY id DESC LIMIT $${params.length + 1}`,
        [...params, page.limit + 1],
      );
      return pageOf(found, page, baselineItem);
    },

    async dailyStats(range, agent, now): Promise<StatsReport> {
      const { since, until } = statsWindow(range, now);
      const days = await rows<{
        start: number;
        traces: number;
        judged: number;
        detours: number;
        confirmed: number;
      }>(pool, statsSql(agent !== null), agent === null ? [since, until] : [since, until, agent]);
      return {
        since: iso(since),
        until: iso(until),
        days: days.map(({ start, ...counts }) => ({
          day: iso(start).slice(0, 10),
          ...counts,
          share: counts.traces === 0 ? 0 : counts.detours / counts.traces,
        })),
      };
    },

    async deliveryPage(page) {
      const after = page.after === null ? '' : 'WHERE id < $2';
      const found = await rows<DeliveryRow>(
        pool,
        `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries ${after} ORDER BY id DESC LIMIT $1`,
        page.after === null ? [page.limit + 1] : [page.limit + 1, page.after],
      );
      return pageOf(found, page, deliveryItem);
    },

    async historyCounts() {
      return (await row<HistoryCounts>(pool, HISTORY_COUNTS_SELECT)) as HistoryCounts;
    },
  };
}
