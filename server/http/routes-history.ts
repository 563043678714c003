import { type Context, Hono } from 'hono';
import { type ApiErrorBody, pageJson } from '../../protocol/history-api.ts';
import { CONTENT_TYPES, EXPORT_FORMATS, type ExportFormat, exportChunks } from '../export/formats.ts';
import { chunkStream } from '../export/web-stream.ts';
import {
  readDetourFilter,
  readId,
  readIncidentFilter,
  readPage,
  readQuery,
  readTimeRange,
  readTraceFilter,
} from '../history/filters.ts';
import type { HistoryReads } from '../history/history-service.ts';
import { parseAgentId, parseChoice, parseTarget } from '../history/param-parsers.ts';
import { type ParamSpec, ROUTE_PARAMS } from '../history/param-specs.ts';
import { ParameterError } from '../history/parameter-error.ts';
import { DAY_MS, MAX_STATS_DAYS, statsWindow } from '../history/stats-window.ts';

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
} as const;

function badParameter(c: Context, err: ParameterError): Response {
  const body: ApiErrorBody = {
    error: { code: 'BAD_REQUEST', message: err.message, parameter: err.parameter },
  };
  return c.json(body, 400);
}

function notFound(c: Context, what: string): Response {
  const body: ApiErrorBody = { error: { code: 'NOT_FOUND', message: `no ${what}` } };
  return c.json(body, 404);
}

/** Runs a handler with its validated query; a ParameterError becomes 400 naming the parameter. */
function withQuery(
  specs: readonly ParamSpec[],
  handler: (c: Context, q: Record<string, string>) => Response | Promise<Response>,
) {
  return async (c: Context): Promise<Response> => {
    try {
      return await handler(c, readQuery(new URL(c.req.url).searchParams, specs));
    } catch (err) {
      if (err instanceof ParameterError) return badParameter(c, err);
      throw err;
    }
  };
}

/**
 * The operators' history API: traces, detours (and their streamed export), incidents with their evidence,
 * baselines, daily statistics and the record of alert deliveries. Every list is ordered by id, newest
 * first, and paged with opaque cursors, so pages stay stable while new traces arrive.
 */
export function historyRoutes(deps: HistoryReads): Hono {
  const app = new Hono();
  const { store } = deps;

  app.get(
    HISTORY_PATHS.traces,
    withQuery(ROUTE_PARAMS.traces, async (c, q) => {
      const page = readPage(q, deps.now());
      return c.json(pageJson('traces', await store.tracePage(readTraceFilter(q, page.now), page)));
    }),
  );

  app.get(
    HISTORY_PATHS.trace,
    withQuery([], async (c) => {
      const id = readId('id', c.req.param('id') ?? '');
      const trace = await store.traceDetail(id);
      return trace ? c.json(trace) : notFound(c, `trace with id ${id}`);
    }),
  );

  app.get(
    HISTORY_PATHS.detours,
    withQuery(ROUTE_PARAMS.detours, async (c, q) => {
      const page = readPage(q, deps.now());
      return c.json(pageJson('detours', await store.detourPage(readDetourFilter(q, page.now), page)));
    }),
  );

  app.get(
    HISTORY_PATHS.detoursExport,
    withQuery(ROUTE_PARAMS.detoursExport, (c, q) => {
      const { format: formatText, ...rest } = q;
      const format: ExportFormat =
        formatText === undefined || formatText === ''
          ? 'ndjson'
          : parseChoice('format', formatText, EXPORT_FORMATS);
      const filter = readDetourFilter(rest, deps.now());
      const release = deps.exports.take();
      if (release === null) {
        const body: ApiErrorBody = {
          error: { code: 'UNAVAILABLE', message: 'too many exports are running; try again in a moment' },
        };
        return c.json(body, 503, { 'retry-after': '5' });
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
    }),
  );

  app.get(
    HISTORY_PATHS.incidents,
    withQuery(ROUTE_PARAMS.incidents, async (c, q) => {
      const page = readPage(q, deps.now());
      return c.json(pageJson('incidents', await store.incidentPage(readIncidentFilter(q, page.now), page)));
    }),
  );

  app.get(
    HISTORY_PATHS.incident,
    withQuery([], async (c) => {
      const id = readId('id', c.req.param('id') ?? '');
      const incident = await store.incidentDetail(id);
      return incident ? c.json(incident) : notFound(c, `incident with id ${id}`);
    }),
  );

  app.get(
    HISTORY_PATHS.incidentTraces,
    withQuery(ROUTE_PARAMS.incidentTraces, async (c, q) => {
      const id = readId('id', c.req.param('id') ?? '');
      if ((await store.incidentDetail(id)) === null) return notFound(c, `incident with id ${id}`);
      return c.json(pageJson('traces', await store.incidentTracePage(id, readPage(q, deps.now()))));
    }),
  );

  app.get(
    HISTORY_PATHS.baselines,
    withQuery(ROUTE_PARAMS.baselines, async (c, q) => {
      const page = readPage(q, deps.now());
      const agent = q.agent ? parseAgentId('agent', q.agent) : null;
      const target = q.target ? parseTarget('target', q.target) : null;
      return c.json(pageJson('baselines', await store.baselinePage({ agent, target }, page)));
    }),
  );

  app.get(
    HISTORY_PATHS.stats,
    withQuery(ROUTE_PARAMS.stats, async (c, q) => {
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
    }),
  );

  app.get(
    HISTORY_PATHS.deliveries,
    withQuery(ROUTE_PARAMS.deliveries, async (c, q) =>
      c.json(pageJson('deliveries', await store.deliveryPage(readPage(q, deps.now())))),
    ),
  );

  return app;
}
