import type { DetourDetail, DetourSummary, MapHop, PathHop, RouteDrawing } from './map-api.ts';

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

const at = (lat: number | null, lon: number | null): string =>
  lat === null || lon === null ? '-' : `${lat.toFixed(2)},${lon.toFixed(2)}`;

/**
 * The route a detour took, as the map draws it (see `MapRoute` in map-api.ts): the source and destination
 * positions and each drawn hop's reading, precision and position, rounded to 0.01 degree (about 1 km).
 */
export function routeKey(d: Pick<RouteDrawing, 'source' | 'destination' | 'path'>): string {
  const hops = d.path.map((p) => `${p.status}/${p.precision}@${at(p.lat, p.lon)}`);
  return [at(d.source.lat, d.source.lon), ...hops, at(d.destination.lat, d.destination.lon)].join(' ');
}
