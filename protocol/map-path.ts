import type { DetourDetail, DetourSummary, MapHop, PathHop } from './map-api.ts';

/**
 * The placed hops of a hop table, as the map draws them: accepted locations of home and foreign hops, and
 * the claimed location of refuted ones. Special, unlocated and silent hops have no place.
 */
export function pathOf(hops: readonly MapHop[]): PathHop[] {
  const path: PathHop[] = [];
  for (const h of hops) {
    if (h.status === 'refuted') {
      if (h.claimed) {
        path.push({
          ttl: h.ttl,
          status: h.status,
          lat: h.claimed.lat,
          lon: h.claimed.lon,
          precision: h.precision ?? 'city',
        });
      }
    } else if (
      (h.status === 'home' || h.status === 'foreign-confirmed' || h.status === 'foreign-probable') &&
      h.lat !== null &&
      h.lon !== null
    ) {
      path.push({
        ttl: h.ttl,
        status: h.status,
        lat: h.lat,
        lon: h.lon,
        precision: h.precision ?? 'country',
      });
    }
  }
  return path;
}

/** The summary of a detail (what the list endpoint and the live stream send). */
export function summarise(d: DetourDetail): DetourSummary {
  const { hops: _hops, ...summary } = d;
  return summary;
}
