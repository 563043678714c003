import { describeError } from '../../protocol/errors.ts';
import type {
  DetourSummary,
  MapAgent,
  MapRoute,
  Timeline,
  TimelineBin,
  TimelineBucket,
} from '../../protocol/map-api.ts';
import type { DetourFilter } from '../../protocol/map-filter.ts';
import { routeKey, summarise } from '../../protocol/map-path.ts';
import type { MapFilter, MapStore } from '../store/map-store.ts';
import { detourDetail } from './map-detour.ts';
import type { MapDataSource } from './routes-map.ts';

/** How often the live feed looks for new detours while someone is watching. */
const DEFAULT_POLL_MS = 1000;
/** Most detours one poll hands on (a backlog after a pause arrives over a few polls). */
const POLL_BATCH = 500;

const ms = (instant: string | undefined): number | null =>
  instant === undefined ? null : Date.parse(instant);

/**
 * The most detours one routes answer groups. Past it the answer says how many it left out (`total` against
 * the counts), never silently; the store's own limits are far above what one coordinator holds in a year.
 */
export const MAX_ROUTE_SCAN = 100_000;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const BUCKET_MS: Record<TimelineBucket, number> = { hour: HOUR_MS, day: DAY_MS };
/** Up to this span the timeline counts hours (72 bars at most); beyond it, days. */
const HOURLY_SPAN_MS = 3 * DAY_MS;

/** The map's query as the store's filter (same semantics as the history's: `until` exclusive). */
function filterOf(q: DetourFilter): MapFilter {
  return {
    since: ms(q.since),
    until: ms(q.until),
    country: q.country ?? null,
    asn: q.asn ?? null,
    agent: q.agent ?? null,
    target: null,
    confidence: q.confidence ?? null,
    incident: q.incident ?? null,
  };
}

/** Detours grouped by the route they took (protocol/map-path.ts routeKey), most traces first. */
export function groupRoutes(detours: readonly DetourSummary[]): MapRoute[] {
  const routes = new Map<string, MapRoute>();
  // Newest first in, so each route's first detour is its latest and its ids stay newest first.
  for (const d of detours) {
    const key = routeKey(d);
    const route = routes.get(key);
    if (!route) {
      routes.set(key, {
        key,
        count: 1,
        confirmed: d.confidence === 'confirmed' ? 1 : 0,
        ids: [d.id],
        firstSeen: d.startedAt,
        lastSeen: d.startedAt,
        latest: d,
      });
      continue;
    }
    route.count++;
    if (d.confidence === 'confirmed') route.confirmed++;
    route.ids.push(d.id);
    if (d.startedAt < route.firstSeen) route.firstSeen = d.startedAt;
  }
  return [...routes.values()].sort((a, b) => b.count - a.count || (a.lastSeen < b.lastSeen ? 1 : -1));
}

/** Store counts as timeline bins: one per bucket that holds a detour, oldest first. */
export function timelineOf(
  bucket: TimelineBucket,
  counts: readonly { start: number; country: string | null; count: number }[],
): Timeline {
  const bins = new Map<number, TimelineBin>();
  for (const c of counts) {
    let bin = bins.get(c.start);
    if (!bin) {
      bin = { start: new Date(c.start).toISOString(), byCountry: {}, total: 0 };
      bins.set(c.start, bin);
    }
    const country = c.country ?? '??';
    bin.byCountry[country] = (bin.byCountry[country] ?? 0) + c.count;
    bin.total += c.count;
  }
  return { bucket, bins: [...bins.entries()].sort(([a], [b]) => a - b).map(([, bin]) => bin) };
}

export interface StoreMapSource extends MapDataSource {
  /** Stops the live feed's polling. */
  close(): void;
}

/**
 * The map's data from the coordinator's store. New detours are found by polling the trace ids while anyone
 * is subscribed: that sees every detour in the store, also those written by another coordinator sharing it,
 * and needs no hook into ingest.
 */
export function storeMapSource(
  store: MapStore,
  options: { pollMs?: number; log?: (line: string) => void } = {},
): StoreMapSource {
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  const log = options.log ?? (() => {});
  const listeners = new Set<(d: DetourSummary) => void>();
  let timer: NodeJS.Timeout | null = null;
  /** Where the feed continues; null until the store said where it starts. */
  let lastId: number | null = null;
  let polling = false;

  /** With an agent filter, the agents it names: the page says so when it names none. */
  async function agentsOf(query: DetourFilter): Promise<{ agents?: MapAgent[] }> {
    return query.agent === undefined ? {} : { agents: await store.mapAgents(query.agent) };
  }

  /** Notes where a subscription's feed starts: the newest trace id when it began. */
  async function begin(subscription: NodeJS.Timeout | null): Promise<void> {
    const start = await store.lastTraceId();
    if (timer === subscription && lastId === null) lastId = start;
  }

  /** Hands on what was stored since the last poll. */
  async function poll(): Promise<void> {
    if (polling) return;
    polling = true;
    const subscription = timer;
    try {
      if (lastId === null) {
        // The start could not be read when the subscription began: try again.
        await begin(subscription);
        return;
      }
      const detours = await store.detoursAfter(lastId, POLL_BATCH);
      for (const d of detours) {
        if (timer !== subscription) return;
        lastId = Math.max(lastId ?? 0, d.id);
        let summary: DetourSummary;
        try {
          summary = summarise(detourDetail(d));
        } catch (err) {
          log(`map: detour #${d.id} cannot be shown: ${describeError(err)}`);
          continue;
        }
        for (const listener of listeners) listener(summary);
      }
    } catch (err) {
      // A busy or closing database must not take the coordinator down; the next poll tries again.
      log(`map: cannot read new detours: ${describeError(err)}`);
    } finally {
      polling = false;
    }
  }

  function stop(): void {
    if (timer) clearInterval(timer);
    timer = null;
    lastId = null;
  }

  function start(): void {
    timer = setInterval(() => void poll(), pollMs);
    timer.unref();
    begin(timer).catch((err) => log(`map: cannot start the live feed: ${describeError(err)}`));
  }

  return {
    async listDetours(query) {
      const { detours, total } = await store.mapDetours(filterOf(query), query.limit);
      return { items: detours.map((d) => summarise(detourDetail(d))), total, ...(await agentsOf(query)) };
    },
    async listRoutes(query) {
      const { detours, total } = await store.mapDetours(filterOf(query), MAX_ROUTE_SCAN);
      const routes = groupRoutes(detours.map((d) => summarise(detourDetail(d))));
      return { routes, total, grouped: detours.length, ...(await agentsOf(query)) };
    },
    async timeline(query, bucket) {
      const filter = filterOf(query);
      let chosen = bucket;
      if (chosen === null) {
        const span = await store.mapTimeSpan(filter);
        chosen = span !== null && span.last - span.first > HOURLY_SPAN_MS ? 'day' : 'hour';
      }
      return timelineOf(chosen, await store.mapTimeline(filter, BUCKET_MS[chosen]));
    },
    async getDetour(id) {
      const detour = await store.mapDetour(id);
      return detour ? detourDetail(detour) : null;
    },
    subscribe(listener) {
      if (listeners.size === 0) start();
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) stop();
      };
    },
    close() {
      listeners.clear();
      stop();
    },
  };
}
