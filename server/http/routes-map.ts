import { Hono } from 'hono';
import { DetourwatchError } from '../../protocol/errors.ts';
import {
  type DetourDetail,
  type DetourPage,
  type DetourQuery,
  MAP_API,
  type MapConfig,
  type RoutePage,
  TIMELINE_BUCKETS,
  type Timeline,
  type TimelineBucket,
} from '../../protocol/map-api.ts';
import { type DetourFilter, readFilter } from '../../protocol/map-filter.ts';
import { encodeRoutes } from '../../protocol/route-columns.ts';
import { quote } from '../../protocol/values/quote.ts';
import { homeFrom } from '../detect/home-countries.ts';
import { readId } from '../history/filters.ts';
import { ParameterError } from '../history/parameter-error.ts';
import { staticWebRoutes } from './static-web.ts';

/** What the map's routes read: the store's detours (new ones arrive on GET /api/v1/events, routes-events.ts). */
export interface MapDataSource {
  /** Detours matching the query, newest first, at most `limit`; `total` counts all matches. */
  listDetours(query: DetourQuery & { limit: number }): DetourPage | Promise<DetourPage>;
  getDetour(id: number): DetourDetail | null | Promise<DetourDetail | null>;
  /** Every matching detour, grouped by the route it took (MapRoute in protocol/map-api.ts). */
  listRoutes(filter: DetourFilter): RoutePage | Promise<RoutePage>;
  /** Matching detours per hour or day; null lets the source choose by the span. */
  timeline(filter: DetourFilter, bucket: TimelineBucket | null): Timeline | Promise<Timeline>;
}

export const DEFAULT_PAGE_LIMIT = 2000;
export const MAX_PAGE_LIMIT = 10_000;
const FILTER_GRAMMAR =
  'since/until are ISO 8601 times, country a two-letter code, asn a number (4134 or AS4134), agent an ' +
  'agent id or name, confidence "confirmed" or "probable", incident an incident id';

/**
 * The query string of GET /api/v1/map/detours, validated; a malformed field is refused, naming it (the
 * first, when several are: the message lists them all).
 */
export function parseDetourQuery(params: URLSearchParams): DetourQuery & { limit: number } {
  const { filter, invalid } = readFilter((key) => params.get(key));
  const [first, ...others] = invalid;
  if (first !== undefined) {
    const also = others.length > 0 ? ` (and ${others.join(', ')})` : '';
    throw new ParameterError(first, `does not fit${also}: ${FILTER_GRAMMAR}`);
  }
  let limit = DEFAULT_PAGE_LIMIT;
  const rawLimit = params.get('limit');
  if (rawLimit !== null && rawLimit !== '') {
    limit = Number(rawLimit);
    if (!Number.isInteger(limit) || limit < 1) {
      throw new ParameterError(
        'limit',
        `${quote(rawLimit)} is not a whole number of 1 or more (more than ${MAX_PAGE_LIMIT} are capped)`,
      );
    }
  }
  return { ...filter, limit: Math.min(limit, MAX_PAGE_LIMIT) };
}

/** The filter alone (routes and timeline take no limit). */
function parseFilter(params: URLSearchParams): DetourFilter {
  const { limit: _limit, ...filter } = parseDetourQuery(params);
  return filter;
}

function parseBucket(params: URLSearchParams): TimelineBucket | null {
  const raw = params.get('bucket');
  if (raw === null || raw === '') return null;
  if (!(TIMELINE_BUCKETS as readonly string[]).includes(raw)) {
    throw new ParameterError('bucket', `${quote(raw)} is not one of ${TIMELINE_BUCKETS.join(', ')}`);
  }
  return raw as TimelineBucket;
}

/** The page's configuration; home defaults to the analysis's own default (US and its territories). */
export type MapConfigInput = Omit<MapConfig, 'homeCountries'> & { homeCountries?: readonly string[] };

/** The map page's API: its configuration, the detour list, routes, timeline, one detour. */
export function mapRoutes(options: { source: MapDataSource; config: MapConfigInput }): Hono {
  const { source } = options;
  const config: MapConfig = {
    ...options.config,
    homeCountries: [...homeFrom(options.config.homeCountries ?? 'US').countries],
  };
  const app = new Hono();

  app.get(MAP_API.config, (c) => c.json(config));

  // The compact form (RouteColumns): the row form was 39 MiB at 50,000 routes (issue 21).
  app.get(MAP_API.routes, async (c) =>
    c.json(encodeRoutes(await source.listRoutes(parseFilter(new URL(c.req.url).searchParams)))),
  );

  app.get(MAP_API.timeline, async (c) => {
    const params = new URL(c.req.url).searchParams;
    const bucket = parseBucket(params);
    params.delete('bucket');
    return c.json(await source.timeline(parseFilter(params), bucket));
  });

  app.get(MAP_API.detours, async (c) =>
    c.json(await source.listDetours(parseDetourQuery(new URL(c.req.url).searchParams))),
  );

  app.get(`${MAP_API.detours}/:id`, async (c) => {
    const id = readId('id', c.req.param('id') ?? '');
    const detour = await source.getDetour(id);
    if (!detour) throw new DetourwatchError('NOT_FOUND', `no detour with id ${id}`);
    return c.json(detour);
  });

  return app;
}

export interface MapWebOptions {
  source: MapDataSource;
  config: MapConfigInput;
  /** The built page; web/dist by default. */
  webRoot?: string;
}

/**
 * The analysts' map as the coordinator mounts it: the page at `/` (with its Content-Security-Policy) and its
 * API under /api/v1/map. Throws CONFIG_INVALID for a tile URL the page could not load.
 */
export function mapWebRoutes(options: MapWebOptions): Hono {
  const app = new Hono();
  app.route('/', staticWebRoutes({ root: options.webRoot, tileUrl: options.config.tileUrl }));
  app.route('/', mapRoutes(options));
  return app;
}
