import { Hono } from 'hono';
import { type SSEStreamingApi, streamSSE } from 'hono/streaming';
import { DetourwatchError } from '../../protocol/errors.ts';
import {
  DETOUR_EVENT,
  type DetourDetail,
  type DetourPage,
  type DetourQuery,
  type DetourSummary,
  MAP_API,
  type MapConfig,
  type RoutePage,
  TIMELINE_BUCKETS,
  type Timeline,
  type TimelineBucket,
} from '../../protocol/map-api.ts';
import { type DetourFilter, readFilter } from '../../protocol/map-filter.ts';
import { quote } from '../../protocol/values/quote.ts';
import { homeFrom } from '../detect/home-countries.ts';
import { readId } from '../history/filters.ts';
import { ParameterError } from '../history/parameter-error.ts';
import { liveQueue } from './live-queue.ts';
import { staticWebRoutes } from './static-web.ts';

/** What the map's routes read: the store's detours, and a feed of the ones stored from now on. */
export interface MapDataSource {
  /** Detours matching the query, newest first, at most `limit`; `total` counts all matches. */
  listDetours(query: DetourQuery & { limit: number }): DetourPage | Promise<DetourPage>;
  getDetour(id: number): DetourDetail | null | Promise<DetourDetail | null>;
  /** Every matching detour, grouped by the route it took (MapRoute in protocol/map-api.ts). */
  listRoutes(filter: DetourFilter): RoutePage | Promise<RoutePage>;
  /** Matching detours per hour or day; null lets the source choose by the span. */
  timeline(filter: DetourFilter, bucket: TimelineBucket | null): Timeline | Promise<Timeline>;
  /** Calls `listener` with each detour stored from now on; returns the function that stops it. */
  subscribe(listener: (d: DetourSummary) => void): () => void;
}

export const DEFAULT_PAGE_LIMIT = 2000;
export const MAX_PAGE_LIMIT = 10_000;
/** A comment line this often keeps proxies from closing a quiet event stream. */
const KEEPALIVE_MS = 15_000;
/** How long a browser waits before reconnecting a dropped stream. */
const RECONNECT_MS = 3000;
/**
 * How far a live client may fall behind before it is dropped: the events waiting for its socket, and their
 * bytes. Together with the socket's own buffers this bounds the memory a client that stops reading costs.
 */
export const STREAM_MAX_EVENTS = 256;
export const STREAM_MAX_BYTES = 1024 * 1024;
/** The event that tells a dropped client why, the last it gets; then its connection closes. */
export const STREAM_DROPPED_EVENT = 'dropped';
/** How long the reason may take to reach a client that is not reading before the connection is cut. */
const DROP_GRACE_MS = 10_000;

/**
 * Ends a slow client's stream: the reason as the last event, then the end of the response; a client that
 * does not take even that within DROP_GRACE_MS has its connection destroyed (Node's response, when the app
 * runs under @hono/node-server).
 */
async function dropSlowClient(
  env: unknown,
  stream: SSEStreamingApi,
  backlog: { events: number; bytes: number },
): Promise<void> {
  const outgoing = (env as { outgoing?: { destroy(): void } } | undefined)?.outgoing;
  const cut = setTimeout(() => outgoing?.destroy(), DROP_GRACE_MS);
  cut.unref();
  const reason =
    `this client fell ${backlog.events} events (${backlog.bytes} bytes) behind the live feed ` +
    `(at most ${STREAM_MAX_EVENTS} events or ${STREAM_MAX_BYTES} bytes wait for a client); reconnect to resume`;
  await stream.writeSSE({
    event: STREAM_DROPPED_EVENT,
    data: JSON.stringify({ reason }),
    retry: RECONNECT_MS,
  });
  await stream.close();
  clearTimeout(cut);
}

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

/** The map page's API: its configuration, the detour list, routes, timeline, one detour, the live stream. */
export function mapRoutes(options: { source: MapDataSource; config: MapConfigInput }): Hono {
  const { source } = options;
  const config: MapConfig = {
    ...options.config,
    homeCountries: [...homeFrom(options.config.homeCountries ?? 'US').countries],
  };
  const app = new Hono();

  app.get(MAP_API.config, (c) => c.json(config));

  app.get(MAP_API.routes, async (c) =>
    c.json(await source.listRoutes(parseFilter(new URL(c.req.url).searchParams))),
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

  app.get(MAP_API.stream, (c) =>
    streamSSE(c, async (stream) => {
      // Each write is awaited (the socket's backpressure); a client that falls too far behind is dropped.
      let dropped: { events: number; bytes: number } | null = null;
      let wake: (() => void) | null = null;
      const queue = liveQueue<{ id: string; data: string }>({
        maxEvents: STREAM_MAX_EVENTS,
        maxBytes: STREAM_MAX_BYTES,
        size: (e) => e.data.length,
        write: (e) => stream.writeSSE({ event: DETOUR_EVENT, id: e.id, data: e.data }),
        overflow: (backlog) => {
          dropped = backlog;
          wake?.();
        },
      });
      let stop: (() => void) | null = source.subscribe((d) => {
        queue.push({ id: String(d.id), data: JSON.stringify(d) });
      });
      const unsubscribe = (): void => {
        stop?.();
        stop = null;
      };
      stream.onAbort(unsubscribe);
      await stream.writeSSE({ event: 'hello', data: '{}', retry: RECONNECT_MS });
      while (!stream.aborted && !stream.closed && dropped === null) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, KEEPALIVE_MS);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = null;
        if (!stream.aborted && !stream.closed && dropped === null) await stream.write(': keep-alive\n\n');
      }
      unsubscribe();
      if (dropped !== null) await dropSlowClient(c.env, stream, dropped);
    }),
  );

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
