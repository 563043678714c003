import type Database from 'better-sqlite3';
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
import { statementCache } from './statement-cache.ts';
import { detourWhere, incidentWhere, traceWhere } from './where.ts';

/**
 * Traces per UTC day of [since, until), days without traces left out; parameters: the start of the first
 * day, until, since, until. Each day is four range counts over the (verdict, started_at, confidence) index:
 * grouping rows read every 3.8 KB row of the month (1.7 s at a million traces), and grouping that index
 * sorts a million entries by day (0.4 s); counting takes 55 ms.
 */
const STATS_SQL = (() => {
  const count = (verdicts: string, extra = '') =>
    `(SELECT COUNT(*) FROM traces WHERE verdict IN (${verdicts}) AND started_at >= d.lo AND started_at < d.hi${extra})`;
  return `WITH RECURSIVE starts(start) AS (
      SELECT ? UNION ALL SELECT start + ${DAY_MS} FROM starts WHERE start + ${DAY_MS} < ?
    ),
    d AS (SELECT start, MAX(start, ?) AS lo, MIN(start + ${DAY_MS}, ?) AS hi FROM starts),
    counted AS MATERIALIZED (
      SELECT start, strftime('%Y-%m-%d', start / 1000, 'unixepoch') AS day,
        ${count(`'domestic', 'detour', 'foreign-endpoint', 'inconclusive', 'implausible'`)} AS traces,
        ${count(`'domestic', 'detour'`)} AS judged,
        ${count(`'detour'`)} AS detours,
        ${count(`'detour'`, ` AND confidence = 'confirmed'`)} AS confirmed
      FROM d
    )
    SELECT day, traces, judged, detours, confirmed FROM counted WHERE traces > 0 ORDER BY start`;
})();

/** One agent's days: its rows are read once through (agent_id, started_at), which four counts would repeat. */
const AGENT_STATS_SQL = `SELECT strftime('%Y-%m-%d', started_at / 1000, 'unixepoch') AS day, COUNT(*) AS traces,
    SUM(verdict IN ('domestic', 'detour')) AS judged, SUM(verdict = 'detour') AS detours,
    SUM(verdict = 'detour' AND confidence = 'confirmed') AS confirmed
  FROM traces WHERE started_at >= ? AND started_at < ? AND agent_id = ? GROUP BY day ORDER BY day`;

/**
 * Detour rows whose ids an inner query picks: when a time window is read through its index, the sort by id
 * then orders small ids instead of every detour in the window with its verdict (8,600 in 6 hours).
 */
const detoursByIds = (where: string, order: 'ASC' | 'DESC', limit: string) =>
  `SELECT ${DETOUR_SELECT} FROM ${DETOUR_FROM}
   WHERE t.id IN (SELECT t.id FROM traces t ${where} ORDER BY t.id ${order} LIMIT ${limit}) ORDER BY t.id ${order}`;

/**
 * A page of traces whose ids an inner query picks from an index (`t.agent_id = ?` reads the covering
 * (agent_id, started_at) index, not every ~3.5 KB row of the agent, to sort them by id: 1.3 s -> 26 ms at a
 * million traces), then reads the page's rows.
 */
const tracesByIds = (inner: string) =>
  `SELECT ${TRACE_SELECT} FROM ${TRACE_FROM} WHERE t.id IN (${inner}) ORDER BY t.id DESC`;

/**
 * A time window's newest traces are found among the newest ids first: through (started_at) SQLite reads
 * every entry of the window and sorts their ids (a day of a million traces: 160-370 ms); walking the newest
 * RECENT_IDS rows by id stops at the page (under 1 ms for the last day) or gives up after ~25 ms. Its answer
 * is exact when it fills the page: no row above its lower bound was skipped.
 */
const RECENT_IDS = 10_000;

export function sqliteHistory(db: Database.Database): HistoryStore {
  const stmt = statementCache(db);
  const fixed = {
    trace: db.prepare(
      `SELECT ${TRACE_SELECT}, t.verdict_json, t.verdict_z, t.hops_purged_at FROM ${TRACE_FROM} WHERE t.id = ?`,
    ),
    hops: db.prepare(`SELECT ${HOP_COLUMNS} FROM hops WHERE trace_id = ? ORDER BY ttl, seq`),
    incident: db.prepare(`SELECT ${INCIDENT_COLUMNS} FROM incidents WHERE id = ?`),
    baselinesOf: db.prepare(`SELECT ${BASELINE_COLUMNS} FROM baselines WHERE subject = ? ORDER BY id`),
    lastTraceId: db.prepare('SELECT COALESCE(MAX(id), 0) FROM traces').pluck(),
    counts: db.prepare(HISTORY_COUNTS_SELECT),
  };

  return {
    async tracePage(filter, page) {
      const w = traceWhere(filter, page.after);
      const want = page.limit + 1;
      const windowOnly =
        (filter.since !== null || filter.until !== null) && filter.agent === null && filter.target === null;
      if (windowOnly) {
        const top = page.after ?? (fixed.lastTraceId.get() as number) + 1;
        const recent = `SELECT t.id FROM traces t NOT INDEXED ${w.sql ? `${w.sql} AND` : 'WHERE'} t.id >= ?
          ORDER BY t.id DESC LIMIT ?`;
        const rows = stmt(tracesByIds(recent)).all(...w.params, top - RECENT_IDS, want) as TraceRow[];
        if (rows.length === want) return pageOf(rows, page, traceItem);
      }
      const inner = `SELECT t.id FROM traces t ${w.sql} ORDER BY t.id DESC LIMIT ?`;
      return pageOf(stmt(tracesByIds(inner)).all(...w.params, want) as TraceRow[], page, traceItem);
    },

    async traceDetail(id) {
      const row = fixed.trace.get(id) as
        | (TraceRow & { verdict_json: string; verdict_z: Buffer | null; hops_purged_at: number | null })
        | undefined;
      if (!row) return null;
      return {
        ...traceItem(row),
        hopsPurged: row.hops_purged_at !== null,
        hops: (fixed.hops.all(id) as StoredHopRow[]).map(hopItem),
        verdictDetail: decodeVerdict(row.verdict_json, row.verdict_z),
      };
    },

    async detourPage(filter, page) {
      const w = detourWhere(filter, page.after);
      const rows = stmt(detoursByIds(w.sql, 'DESC', '?')).all(...w.params, page.limit + 1) as DetourRow[];
      return pageOf(rows, page, detourItem);
    },

    async *detourExport(filter): AsyncGenerator<DetourItem> {
      // What was stored when the export began: a long download does not chase new traces.
      const upTo = fixed.lastTraceId.get() as number;
      let after = 0;
      for (;;) {
        const w = detourWhere(filter, after, 'asc', upTo);
        const rows = stmt(detoursByIds(w.sql, 'ASC', String(EXPORT_CHUNK))).all(...w.params) as DetourRow[];
        for (const row of rows) yield detourItem(row);
        const last = rows[rows.length - 1];
        if (rows.length < EXPORT_CHUNK || last === undefined) return;
        after = last.id;
      }
    },

    async incidentPage(filter, page) {
      const w = incidentWhere(filter, page.after);
      const sql = `SELECT ${INCIDENT_COLUMNS} FROM incidents i ${w.sql} ORDER BY i.id DESC LIMIT ?`;
      return pageOf(stmt(sql).all(...w.params, page.limit + 1) as IncidentRow[], page, (r) =>
        incidentJson(incidentFromRow(r)),
      );
    },

    async incidentDetail(id) {
      const row = fixed.incident.get(id) as IncidentRow | undefined;
      if (!row) return null;
      const baselines = (fixed.baselinesOf.all(row.subject) as BaselineRow[])
        .filter((b) => destinationPrefix(b.target) === row.destination_prefix)
        .map(baselineItem);
      return { ...incidentJson(incidentFromRow(row)), baselines };
    },

    async incidentTracePage(incidentId, page) {
      const after = page.after === null ? '' : 'AND t.id < ?';
      const sql = `SELECT ${TRACE_SELECT} FROM incident_traces it JOIN traces t ON t.id = it.trace_id
        LEFT JOIN results r ON r.id = t.result_id WHERE it.incident_id = ? ${after} ORDER BY t.id DESC LIMIT ?`;
      const params =
        page.after === null ? [incidentId, page.limit + 1] : [incidentId, page.after, page.limit + 1];
      return pageOf(stmt(sql).all(...params) as TraceRow[], page, traceItem);
    },

    async baselinePage(filter, page) {
      const parts: [string, string | number][] = [];
      if (filter.agent !== null) parts.push(['agent_id = ?', filter.agent]);
      if (filter.target !== null) parts.push(['target = ?', filter.target]);
      if (page.after !== null) parts.push(['id < ?', page.after]);
      const where = parts.length === 0 ? '' : `WHERE ${parts.map(([sql]) => sql).join(' AND ')}`;
      const params = parts.map(([, value]) => value);
      const sql = `SELECT ${BASELINE_COLUMNS} FROM baselines ${where} ORDER BY id DESC LIMIT ?`;
      return pageOf(stmt(sql).all(...params, page.limit + 1) as BaselineRow[], page, baselineItem);
    },

    async dailyStats(range, agent, now): Promise<StatsReport> {
      const { since, until } = statsWindow(range, now);
      const rows = (
        agent === null
          ? stmt(STATS_SQL).all(Math.floor(since / DAY_MS) * DAY_MS, until, since, until)
          : stmt(AGENT_STATS_SQL).all(since, until, agent)
      ) as Omit<StatsReport['days'][number], 'share'>[];
      return {
        since: iso(since),
        until: iso(until),
        days: rows.map((r) => ({ ...r, share: r.traces === 0 ? 0 : r.detours / r.traces })),
      };
    },

    async deliveryPage(page) {
      const after = page.after === null ? '' : 'WHERE id < ?';
      const sql = `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries ${after} ORDER BY id DESC LIMIT ?`;
      const params = page.after === null ? [page.limit + 1] : [page.after, page.limit + 1];
      return pageOf(stmt(sql).all(...params) as DeliveryRow[], page, deliveryItem);
    },

    async historyCounts() {
      return fixed.counts.get() as HistoryCounts;
    },
  };
}
