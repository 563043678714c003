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
import { parseAgentId, parseChoice, parseTarget } from '../history/param-parsers.ts';
import { type ParamSpec, ROUTE_PARAMS } from '../history/param-specs.ts';
import { ParameterError } from '../history/parameter-error.ts';
import { type HistoryQueries, MAX_STATS_DAYS, statsWindow } from '../history/queries.ts';

/** What the history routes read. */
export interface HistoryRouteDeps {
  /** Queries on the coordinator's connection: pages are small and quick. */
  queries: HistoryQueries;
  /**
   * A connection of its own for one export: an export holds a read cursor open for as long as the client
   * takes to download, and better-sqlite3 cannot run other statements on a connection while it iterates.
   * Null when too many exports are running already.
   */
  openExportReader(): { queries: HistoryQueries; close(): void } | null;
  now(): number;
}

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

const DAY_MS = 86_400_000;

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
export function historyRoutes(deps: HistoryRouteDeps): Hono {
  const app = new Hono();
  const { queries } = deps;

  app.get(
    HISTORY_PATHS.traces,
    withQuery(ROUTE_PARAMS.traces, (c, q) => {
      const page = readPage(q, deps.now());
      return c.json(pageJson('traces', queries.traces(readTraceFilter(q, page.now), page)));
    }),
  );

  app.get(
    HISTORY_PATHS.trace,
    withQuery([], (c) => {
      const id = readId('id', c.req.param('id') ?? '');
      const trace = queries.trace(id);
      return trace ? c.json(trace) : notFound(c, `trace with id ${id}`);
    }),
  );

  app.get(
    HISTORY_PATHS.detours,
    withQuery(ROUTE_PARAMS.detours, (c, q) => {
      const page = readPage(q, deps.now());
      return c.json(pageJson('detours', queries.detours(readDetourFilter(q, page.now), page)));
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
      const reader = deps.openExportReader();
      if (reader === null) {
        const body: ApiErrorBody = {
          error: { code: 'UNAVAILABLE', message: 'too many exports are running; try again in a moment' },
        };
        return c.json(body, 503, { 'retry-after': '5' });
      }
      const chunks = exportChunks(format, reader.queries.iterateDetours(filter));
      const body = chunkStream(chunks, () => reader.close());
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
    withQuery(ROUTE_PARAMS.incidents, (c, q) => {
      const page = readPage(q, deps.now());
      return c.json(pageJson('incidents', queries.incidents(readIncidentFilter(q, page.now), page)));
    }),
  );

  app.get(
    HISTORY_PATHS.incident,
    withQuery([], (c) => {
      const id = readId('id', c.req.param('id') ?? '');
      const incident = queries.incident(id);
      return incident ? c.json(incident) : notFound(c, `incident with id ${id}`);
    }),
  );

  app.get(
    HISTORY_PATHS.incidentTraces,
    withQuery(ROUTE_PARAMS.incidentTraces, (c, q) => {
      const id = readId('id', c.req.param('id') ?? '');
      if (queries.incident(id) === null) return notFound(c, `incident with id ${id}`);
      return c.json(pageJson('traces', queries.incidentTraces(id, readPage(q, deps.now()))));
    }),
  );

  app.get(
    HISTORY_PATHS.baselines,
    withQuery(ROUTE_PARAMS.baselines, (c, q) => {
      const page = readPage(q, deps.now());
      const agent = q.agent ? parseAgentId('agent', q.agent) : null;
      const target = q.target ? parseTarget('target', q.target) : null;
      return c.json(pageJson('baselines', queries.baselines({ agent, target }, page)));
    }),
  );

  app.get(
    HISTORY_PATHS.stats,
    withQuery(ROUTE_PARAMS.stats, (c, q) => {
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
      return c.json(queries.stats(range, agent, now));
    }),
  );

  app.get(
    HISTORY_PATHS.deliveries,
    withQuery(ROUTE_PARAMS.deliveries, (c, q) =>
      c.json(pageJson('deliveries', queries.deliveries(readPage(q, deps.now())))),
    ),
  );

  return app;
}
