import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { DetourwatchError } from '../../protocol/errors.ts';
import {
  DETOUR_EVENT,
  type DetourDetail,
  type DetourPage,
  type DetourQuery,
  type DetourSummary,
  MAP_API,
  type MapConfig,
} from '../../protocol/map-api.ts';
import { readFilter } from '../../protocol/map-filter.ts';
import { quote } from '../../protocol/values/quote.ts';
import { readId } from '../history/filters.ts';
import { ParameterError } from '../history/parameter-error.ts';
import { staticWebRoutes } from './static-web.ts';

/** What the map's routes read: the store's detours, and a feed of the ones stored from now on. */
export interface MapDataSource {
  /** Detours matching the query, newest first, at most `limit`; `total` counts all matches. */
  listDetours(query: DetourQuery & { limit: number }): DetourPage | Promise<DetourPage>;
  getDetour(id: number): DetourDetail | null | Promise<DetourDetail | null>;
  /** Calls `listener` with each detour stored from now on; returns the function that stops it. */
  subscribe(listener: (d: DetourSummary) => void): () => void;
}

export const DEFAULT_PAGE_LIMIT = 2000;
export const MAX_PAGE_LIMIT = 10_000;
/** A comment line this often keeps proxies from closing a quiet event stream. */
const KEEPALIVE_MS = 15_000;
/** How long a browser waits before reconnecting a dropped stream. */
const RECONNECT_MS = 3000;

const FILTER_GRAMMAR =
  'since/until are ISO 8601 times, country a two-letter code, asn a number (4134 or AS4134), agent an ' +
  'agent id, confidence "confirmed" or "probable"';

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

/** The map page's API: its configuration, the detour list, one detour, and the live stream. */
export function mapRoutes(options: { source: MapDataSource; config: MapConfig }): Hono {
  const { source, config } = options;
  const app = new Hono();

  app.get(MAP_API.config, (c) => c.json(config));

  app.get(MAP_API.detours, async (c) =>
    c.json(await source.listDetours(parseDetourQuery(new URL(c.req.url).searchParams))),
  );

  app.get(`${MAP_API.detours}/:id`, async (c) => {
    const id = readId('id', c.req.param('id') ?? '');
    const detour = await source.getDetour(id);
    if (!detour) throw new DetourwatchError('NOT_FOUND', `no detour with id ${id}`);
    return c.json(detour);
  });

  app.get(MAP_API.stream, (c) =>
    streamSSE(c, async (stream) => {
      let stop: (() => void) | null = source.subscribe((d) => {
        void stream.writeSSE({ event: DETOUR_EVENT, id: String(d.id), data: JSON.stringify(d) });
      });
      const unsubscribe = (): void => {
        stop?.();
        stop = null;
      };
      stream.onAbort(unsubscribe);
      await stream.writeSSE({ event: 'hello', data: '{}', retry: RECONNECT_MS });
      while (!stream.aborted && !stream.closed) {
        await stream.sleep(KEEPALIVE_MS);
        if (!stream.aborted && !stream.closed) await stream.write(': keep-alive\n\n');
      }
      unsubscribe();
    }),
  );

  return app;
}

export interface MapWebOptions {
  source: MapDataSource;
  config: MapConfig;
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
