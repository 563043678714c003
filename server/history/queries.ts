import type Database from 'better-sqlite3';
import type {
  BaselineItem,
  DeliveryItem,
  DetourItem,
  HopItem,
  IncidentDetail,
  IncidentItem,
  Page,
  StatsReport,
  TraceDetail,
  TraceItem,
} from '../../protocol/history-api.ts';
import { INCIDENT_COLUMNS, type IncidentRow } from '../incidents/incident-rows.ts';
import { destinationPrefix } from '../incidents/prefix.ts';
import { encodeCursor } from './cursor.ts';
import type { DetourFilter, IncidentFilter, PageRequest, TimeRange, TraceFilter } from './filters.ts';
import {
  type BaselineRowDb,
  baselineItem,
  DETOUR_FROM,
  DETOUR_SELECT,
  type DeliveryRowDb,
  type DetourRowDb,
  deliveryItem,
  detourItem,
  incidentItem,
  iso,
  TRACE_FROM,
  TRACE_SELECT,
  type TraceRowDb,
  traceItem,
} from './rows.ts';
import { detourWhere, incidentWhere, traceWhere } from './sql-filters.ts';

const DAY_MS = 86_400_000;
/** Stats answer one row per day: a bounded window keeps the answer bounded. */
export const MAX_STATS_DAYS = 3660;
export const DEFAULT_STATS_DAYS = 30;

export interface HistoryQueries {
  traces(filter: TraceFilter, page: PageRequest): Page<TraceItem>;
  trace(id: number): TraceDetail | null;
  detours(filter: DetourFilter, page: PageRequest): Page<DetourItem>;
  /**
   * Every matching detour in id order, one row at a time (better-sqlite3 `iterate`): for exports, which must
   * not hold the result set in memory. The connection is busy until the iterator ends or is returned, so
   * exports use a connection of their own.
   */
  iterateDetours(filter: DetourFilter): IterableIterator<DetourItem>;
  incidents(filter: IncidentFilter, page: PageRequest): Page<IncidentItem>;
  incident(id: number): IncidentDetail | null;
  incidentTraces(id: number, page: PageRequest): Page<TraceItem>;
  baselines(filter: { agent: string | null; target: string | null }, page: PageRequest): Page<BaselineItem>;
  stats(range: TimeRange, agent: string | null, now: number): StatsReport;
  deliveries(page: PageRequest): Page<DeliveryItem>;
}

/** The stats window: up to the end of today (UTC), from DEFAULT_STATS_DAYS before its end, unless given. */
export function statsWindow(range: TimeRange, now: number): { since: number; until: number } {
  const until = range.until ?? Math.floor(now / DAY_MS) * DAY_MS + DAY_MS;
  return { since: range.since ?? until - DEFAULT_STATS_DAYS * DAY_MS, until };
}

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
        ${count(`'domestic', 'detour', 'foreign-endpoint', 'inconclusive'`)} AS traces,
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

/** One page from rows fetched with LIMIT page.limit + 1: the extra row only says there is more. */
function pageOf<R extends { id: number }, T>(rows: R[], page: PageRequest, map: (r: R) => T): Page<T> {
  const more = rows.length > page.limit;
  const kept = more ? rows.slice(0, page.limit) : rows;
  const last = kept[kept.length - 1];
  return {
    items: kept.map(map),
    nextCursor: more && last ? encodeCursor({ after: last.id, now: page.now }, page.fingerprint) : null,
  };
}

export function createHistoryQueries(db: Database.Database): HistoryQueries {
  // The WHERE clause varies with the filters given, but there are few combinations: cache their statements.
  const cache = new Map<string, Database.Statement>();
  const stmt = (sql: string): Database.Statement => {
    let s = cache.get(sql);
    if (!s) {
      s = db.prepare(sql);
      cache.set(sql, s);
    }
    return s;
  };

  const fixed = {
    trace: db.prepare(
      `SELECT ${TRACE_SELECT}, t.verdict_json, t.hops_purged_at FROM ${TRACE_FROM} WHERE t.id = ?`,
    ),
    hops: db.prepare(
      'SELECT ttl, ip, rtt_ms AS rttMs, replies, status, country, asn FROM hops WHERE trace_id = ? ORDER BY ttl, seq',
    ),
    incident: db.prepare(`SELECT ${INCIDENT_COLUMNS} FROM incidents WHERE id = ?`),
    baselinesOf: db.prepare('SELECT * FROM baselines WHERE subject = ? ORDER BY id'),
  };

  return {
    traces(filter, page) {
      const w = traceWhere(filter, page.after);
      const sql = `SELECT ${TRACE_SELECT} FROM ${TRACE_FROM} ${w.sql} ORDER BY t.id DESC LIMIT ?`;
      return pageOf(stmt(sql).all(...w.params, page.limit + 1) as TraceRowDb[], page, traceItem);
    },

    trace(id) {
      const row = fixed.trace.get(id) as
        | (TraceRowDb & { verdict_json: string; hops_purged_at: number | null })
        | undefined;
      if (!row) return null;
      return {
        ...traceItem(row),
        hopsPurged: row.hops_purged_at !== null,
        hops: fixed.hops.all(id) as HopItem[],
        verdictDetail: JSON.parse(row.verdict_json),
      };
    },

    detours(filter, page) {
      const w = detourWhere(filter, page.after);
      // The page's ids first, then their rows: when a time window is read through its index, the sort by
      // id then orders small ids instead of every detour in the window with its verdict (8,600 in 6 hours).
      const sql = `SELECT ${DETOUR_SELECT} FROM ${DETOUR_FROM}
        WHERE t.id IN (SELECT t.id FROM traces t ${w.sql} ORDER BY t.id DESC LIMIT ?) ORDER BY t.id DESC`;
      return pageOf(stmt(sql).all(...w.params, page.limit + 1) as DetourRowDb[], page, detourItem);
    },

    *iterateDetours(filter) {
      const w = detourWhere(filter, null, 'asc');
      const sql = `SELECT ${DETOUR_SELECT} FROM ${DETOUR_FROM} ${w.sql} ORDER BY t.id ASC`;
      for (const row of stmt(sql).iterate(...w.params) as IterableIterator<DetourRowDb>)
        yield detourItem(row);
    },

    incidents(filter, page) {
      const w = incidentWhere(filter, page.after);
      const sql = `SELECT ${INCIDENT_COLUMNS} FROM incidents i ${w.sql} ORDER BY i.id DESC LIMIT ?`;
      return pageOf(stmt(sql).all(...w.params, page.limit + 1) as IncidentRow[], page, incidentItem);
    },

    incident(id) {
      const row = fixed.incident.get(id) as IncidentRow | undefined;
      if (!row) return null;
      const baselines = (fixed.baselinesOf.all(row.subject) as BaselineRowDb[])
        .filter((b) => destinationPrefix(b.target) === row.destination_prefix)
        .map(baselineItem);
      return { ...incidentItem(row), baselines };
    },

    incidentTraces(id, page) {
      const after = page.after === null ? '' : 'AND t.id < ?';
      const sql = `SELECT ${TRACE_SELECT} FROM incident_traces it JOIN traces t ON t.id = it.trace_id
        LEFT JOIN results r ON r.id = t.result_id WHERE it.incident_id = ? ${after} ORDER BY t.id DESC LIMIT ?`;
      const params = page.after === null ? [id, page.limit + 1] : [id, page.after, page.limit + 1];
      return pageOf(stmt(sql).all(...params) as TraceRowDb[], page, traceItem);
    },

    baselines(filter, page) {
      const parts: [string, string | number][] = [];
      if (filter.agent !== null) parts.push(['agent_id = ?', filter.agent]);
      if (filter.target !== null) parts.push(['target = ?', filter.target]);
      if (page.after !== null) parts.push(['id < ?', page.after]);
      const where = parts.length === 0 ? '' : `WHERE ${parts.map(([sql]) => sql).join(' AND ')}`;
      const params = parts.map(([, value]) => value);
      const sql = `SELECT * FROM baselines ${where} ORDER BY id DESC LIMIT ?`;
      return pageOf(stmt(sql).all(...params, page.limit + 1) as BaselineRowDb[], page, baselineItem);
    },

    stats(range, agent, now) {
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

    deliveries(page) {
      const after = page.after === null ? '' : 'WHERE id < ?';
      const sql = `SELECT * FROM webhook_deliveries ${after} ORDER BY id DESC LIMIT ?`;
      const params = page.after === null ? [page.limit + 1] : [page.after, page.limit + 1];
      return pageOf(stmt(sql).all(...params) as DeliveryRowDb[], page, deliveryItem);
    },
  };
}
