import type { DetourDetail } from '../../protocol/map-api.ts';
import { compareNewestFirst, matchesFilter } from '../../protocol/map-filter.ts';
import { summarise } from '../../protocol/map-path.ts';
import { groupRoutes, timelineOf } from '../../server/http/map-source.ts';
import type { MapDataSource } from '../../server/http/routes-map.ts';

const BUCKET_MS = { hour: 3_600_000, day: 86_400_000 } as const;

/** The map's data source over detours held in memory, for testing the routes on their own. */
export function memorySource(initial: readonly DetourDetail[]): MapDataSource {
  const detours = [...initial];
  const matching = (query: Parameters<typeof matchesFilter>[1]) =>
    detours.filter((d) => matchesFilter(d, query)).sort(compareNewestFirst);
  return {
    listDetours(query) {
      const found = matching(query);
      return { items: found.slice(0, query.limit).map(summarise), total: found.length };
    },
    listRoutes(filter) {
      const found = matching(filter).map(summarise);
      return { routes: groupRoutes(found), total: found.length, grouped: found.length };
    },
    timeline(filter, bucket) {
      const chosen = bucket ?? 'hour';
      const counts = new Map<string, { start: number; country: string | null; count: number }>();
      for (const d of matching(filter)) {
        const start = Math.floor(Date.parse(d.startedAt) / BUCKET_MS[chosen]) * BUCKET_MS[chosen];
        const country = d.countries.find((c) => c !== d.source.country) ?? null;
        const key = `${start}|${country}`;
        const c = counts.get(key) ?? { start, country, count: 0 };
        c.count++;
        counts.set(key, c);
      }
      return timelineOf(chosen, [...counts.values()]);
    },
    getDetour: (id) => detours.find((d) => d.id === id) ?? null,
  };
}
