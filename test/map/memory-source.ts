import type { DetourDetail, DetourSummary } from '../../protocol/map-api.ts';
import { compareNewestFirst, matchesFilter } from '../../protocol/map-filter.ts';
import { summarise } from '../../protocol/map-path.ts';
import type { MapDataSource } from '../../server/http/routes-map.ts';

/** The map's data source over detours held in memory, for testing the routes on their own. */
export function memorySource(
  initial: readonly DetourDetail[],
): MapDataSource & { add(d: DetourDetail): void } {
  const detours = [...initial];
  const listeners = new Set<(d: DetourSummary) => void>();
  return {
    listDetours(query) {
      const matching = detours.filter((d) => matchesFilter(d, query)).sort(compareNewestFirst);
      return { items: matching.slice(0, query.limit).map(summarise), total: matching.length };
    },
    getDetour: (id) => detours.find((d) => d.id === id) ?? null,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    add(d) {
      detours.push(d);
      for (const l of listeners) l(summarise(d));
    },
  };
}
