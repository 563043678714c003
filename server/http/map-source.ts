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
import { MapRouteIndex } from './map-route-index.ts';
import type { MapDataSource } from './routes-map.ts';

const ms = (instant: string | undefined): number | null =>
  instant === undefined ? null : Date.parse(instant);

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

/** The map's data from the coordinator's store. */
export function storeMapSource(store: MapStore): MapDataSource & {
  /** Stored verdicts were judged again: the routes learned from them are forgotten (map-route-index.ts). */
  forgetRoutes(): void;
} {
  /** Every detour's route, learned once (issue 21): the routes answer groups all matches, without a cap. */
  const routeIndex = new MapRouteIndex(store);
  routeIndex.warm();
  /** With an agent filter, the agents it names: the page says so when it names none. */
  async function agentsOf(query: DetourFilter): Promise<{ agents?: MapAgent[] }> {
    return query.agent === undefined ? {} : { agents: await store.mapAgents(query.agent) };
  }

  return {
    forgetRoutes: () => routeIndex.reset(),
    async listDetours(query) {
      const { detours, total } = await store.mapDetours(filterOf(query), query.limit);
      return { items: detours.map((d) => summarise(detourDetail(d))), total, ...(await agentsOf(query)) };
    },
    async listRoutes(query) {
      const keys = await store.mapDetourKeys(filterOf(query));
      const { routes, grouped } = await routeIndex.group(keys);
      return { routes, total: keys.ids.length, grouped, ...(await agentsOf(query)) };
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
  };
}
