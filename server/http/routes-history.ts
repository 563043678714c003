import { type Context, Hono } from 'hono';
import { DetourwatchError } from '../../protocol/errors.ts';
import { pageJson } from '../../protocol/history-api.ts';
import { CONTENT_TYPES, EXPORT_FORMATS, type ExportFormat, exportChunks } from '../export/formats.ts';
import { chunkStream } from '../export/web-stream.ts';
import type { ExportSlots } from '../history/export-slots.ts';
import {
  readDetourFilter,
  readId,
  readIncidentFilter,
  readPage,
  readQuery,
  readTimeRange,
  readTraceFilter,
} from '../history/filters.ts';
import { parseAgentId, parseChoice, parseTarget } from '../history/param-parsers.ts';
import { type ParamSpec, ROUTE_PARAMS } from '../history/param-specs.ts';
import { ParameterError } from '../history/parameter-error.ts';
import { ROUTE_CHANGE_PARAMS, readRouteChangeFilter } from '../history/route-change-filter.ts';
import { DAY_MS, MAX_STATS_DAYS, statsWindow } from '../history/stats-window.ts';
import type { HistoryStore } from '../store/history-store.ts';
import type { RouteChangeStore } from '../store/route-change-store.ts';

export const HISTORY_PATHS = {
  traces: '/api/v1/traces',
  trace: '/api/v1/traces/:id',
  detours: '/api/v1/detours',
  detoursExport: '/api/v1/detours/export',
  incidents: '/api/v1/incidents',
  incident: '/api/v1/incidents/:id',
  incidentTraces: '/api/v1/incidents/:id/traces',
  baselines: '/api/v1/baselines',
  stats: '/api/v1/stats',
  deliveries: '/api/v1/alerts/deliveries',
  routeChanges: '/api/v1/route-changes',
} as const;

/** What the history routes read: the store's history queries, the export slots and the clock (epoch ms). */
export interface HistoryRouteDeps {
  store: HistoryStore & RouteChangeStore;
  exports: ExportSlots;
  now(): number;
}

/** The request's query, validated against the route's parameters (unknown or repeated ones are refused). */
const queryOf = (c: Context, specs: readonly ParamSpec[]): Record<string, string> =>
  readQuery(new URL(c.req.url).searchParams, specs);

const notFound = (what: string): DetourwatchError => new DetourwatchError('NOT_FOUND', `no ${what}`);

/**
 * The operators' history API: traces, detours (and their streamed export), incidents with their evidence,
 * baselines, daily statistics and the record of alert deliveries. Every list is ordered by id, newest
 * first, and paged with opaque cursors, so pages stay stable while new traces arrive.
 */
export function historyRoutes(deps: HistoryRouteDeps): Hono {
  const app = new Hono();
  const { store } = deps;

  app.get(HISTORY_PATHS.traces, async (c) => {
    const q = queryOf(c, ROUTE_PARAMS.traces);
    const page = readPage(q, deps.now());
    return c.json(pageJson('traces', await store.tracePage(readTraceFilter(q, page.now), page)));
  });

  app.get(HISTORY_PATHS.trace, async (c) => {
    queryOf(c, []);
    const id = readId('id', c.req.param('id') ?? '');
    const trace = await store.traceDetail(id);
    if (!trace) throw notFound(`trace with id ${id}`);
    return c.json(trace);
  });

  app.get(HISTORY_PATHS.detours, async (c) => {
    const q = queryOf(c, ROUTE_PARAMS.detours);
    const page = readPage(q, deps.now());
    return c.json(pageJson('detours', await store.detourPage(readDetourFilter(q, page.now), page)));
  });

  app.get(HISTORY_PATHS.detoursExport, (c) => {
    const { format: formatText, ...rest } = queryOf(c, ROUTE_PARAMS.detoursExport);
    const format: ExportFormat =
      formatText === undefined || formatText === ''
        ? 'ndjson'
        : parseChoice('format', formatText, EXPORT_FORMATS);
    const filter = readDetourFilter(rest, deps.now());
    const release = deps.exports.take();
    if (release === null) {
      throw new DetourwatchError('UNAVAILABLE', 'too many exports are running; try again in a moment');
    }
    const chunks = exportChunks(format, store.detourExport(filter));
    const body = chunkStream(chunks, release);
    const stamp = new Date(deps.now()).toISOString().replace(/[:.]/g, '-');
    return new Response(body, {
      headers: {
        'content-type': CONTENT_TYPES[format],
        'content-disposition': `attachment; filename="detours-${stamp}.${format}"`,
        'cache-control': 'no-store',
      },
    });
  });

  app.get(HISTORY_PATHS.incidents, async (c) => {
    const q = queryOf(c, ROUTE_PARAMS.incidents);
    const page = readPage(q, deps.now());
    return c.json(pageJson('incidents', await store.incidentPage(readIncidentFilter(q, page.now), page)));
  });

  app.get(HISTORY_PATHS.incident, async (c) => {
    queryOf(c, []);
    const id = readId('id', c.req.param('id') ?? '');
    const incident = await store.incidentDetail(id);
    if (!incident) throw notFound(`incident with id ${id}`);
    return c.json(incident);
  });

  app.get(HISTORY_PATHS.incidentTraces, async (c) => {
    const q = queryOf(c, ROUTE_PARAMS.incidentTraces);
    const id = readId('id', c.req.param('id') ?? '');
    const page = readPage(q, deps.now());
    if ((await store.incidentDetail(id)) === null) throw notFound(`incident with id ${id}`);
    return c.json(pageJson('traces', await store.incidentTracePage(id, page)));
  });

  app.get(HISTORY_PATHS.baselines, async (c) => {
    const q = queryOf(c, ROUTE_PARAMS.baselines);
    const page = readPage(q, deps.now());
    const agent = q.agent ? parseAgentId('agent', q.agent) : null;
    const target = q.target ? parseTarget('target', q.target) : null;
    return c.json(pageJson('baselines', await store.baselinePage({ agent, target }, page)));
  });

  app.get(HISTORY_PATHS.stats, async (c) => {
    const q = queryOf(c, ROUTE_PARAMS.stats);
    const now = deps.now();
    const range = readTimeRange(q, now);
    const agent = q.agent ? parseAgentId('agent', q.agent) : null;
    const window = statsWindow(range, now);
    if (window.until - window.since > MAX_STATS_DAYS * DAY_MS) {
      throw new ParameterError(
        'since',
        `the window is longer than ${MAX_STATS_DAYS} days: narrow since/until`,
      );
    }
    return c.json(await store.dailyStats(range, agent, now));
  });

  app.get(HISTORY_PATHS.deliveries, async (c) => {
    const q = queryOf(c, ROUTE_PARAMS.deliveries);
    return c.json(pageJson('deliveries', await store.deliveryPage(readPage(q, deps.now()))));
  });

  // Route changes (issue 14): each change of a pair's AS path, with the usual path before it.
  app.get(HISTORY_PATHS.routeChanges, async (c) => {
    const q = queryOf(c, ROUTE_CHANGE_PARAMS);
    const page = readPage(q, deps.now());
    const filter = readRouteChangeFilter(q, page.now);
    return c.json(pageJson('routeChanges', await store.routeChangePage(filter, page)));
  });

  return app;
}
