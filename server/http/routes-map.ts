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
import { apiError, positiveInt } from './api-error.ts';
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

/** The query string of GET /api/v1/map/detours, validated; a malformed field is refused, naming it. */
export function parseDetourQuery(params: URLSearchParams): DetourQuery & { limit: number } {
  const { filter, invalid } = readFilter((key) => params.get(key));
  if (invalid.length > 0) {
    throw new DetourwatchError(
      'USAGE',
      `invalid ${invalid.join(', ')}: since/until are ISO 8601 times, country a two-letter code, asn a number, ` +
        'confidence "confirmed" or "probable"',
    );
  }
  let limit = DEFAULT_PAGE_LIMIT;
  const rawLimit = params.get('limit');
  if (rawLimit !== null && rawLimit !== '') {
    limit = Number(rawLimit);
    if (!Number.isInteger(limit) || limit < 1) {
      throw new DetourwatchError(
        'USAGE',
        `invalid limit "${rawLimit}": a whole number from 1 to ${MAX_PAGE_LIMIT}`,
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

  app.get(MAP_API.detours, async (c) => {
    let query: DetourQuery & { limit: number };
    try {
      query = parseDetourQuery(new URL(c.req.url).searchParams);
    } catch (err) {
      if (err instanceof DetourwatchError) return apiError(c, 400, 'BAD_REQUEST', err.message);
      throw err;
    }
    return c.json(await source.listDetours(query));
  });

  app.get(`${MAP_API.detours}/:id`, async (c) => {
    const id = positiveInt(c.req.param('id'), Number.MAX_SAFE_INTEGER);
    if (id === null) return apiError(c, 400, 'BAD_REQUEST', 'a detour id is a positive whole number');
    const detour = await source.getDetour(id);
    if (!detour) return apiError(c, 404, 'NOT_FOUND', `no detour with id ${id}`);
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
