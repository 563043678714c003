import {
  DRAWN_STATUSES,
  type DrawnStatus,
  type MapRoute,
  type RouteColumns,
  type RoutePage,
  type ShownRoute,
} from './map-api.ts';
import { routeKey } from './map-path.ts';

const PRECISIONS = ['city', 'country'] as const;

/** The routes answer in its compact wire form (RouteColumns in map-api.ts). */
export function encodeRoutes(page: RoutePage): RouteColumns {
  const countryIndex = new Map<string, number>();
  const countries: string[] = [];
  const country = (c: string): number => {
    let i = countryIndex.get(c);
    if (i === undefined) {
      i = countries.length;
      countries.push(c);
      countryIndex.set(c, i);
    }
    return i;
  };
  const out: RouteColumns = {
    total: page.total,
    grouped: page.grouped,
    ...(page.agents === undefined ? {} : { agents: page.agents }),
    countries,
    count: [],
    confirmed: [],
    ids: [],
    firstSeen: [],
    lastSeen: [],
    id: [],
    ends: [],
    sourceCountry: [],
    via: [],
    path: [],
  };
  for (const r of page.routes) {
    const d: MapRoute['latest'] = r.latest;
    out.count.push(r.count);
    out.confirmed.push(r.confirmed);
    out.ids.push(r.ids);
    out.firstSeen.push(Date.parse(r.firstSeen));
    out.lastSeen.push(Date.parse(r.lastSeen));
    out.id.push(d.id);
    out.ends.push([d.source.lat, d.source.lon, d.destination.lat, d.destination.lon]);
    out.sourceCountry.push(d.source.country === null ? -1 : country(d.source.country));
    out.via.push(d.countries.map(country));
    const path: number[] = [];
    for (const p of d.path) {
      path.push(p.ttl, DRAWN_STATUSES.indexOf(p.status), p.precision === 'city' ? 0 : 1, p.lat, p.lon);
    }
    out.path.push(path);
  }
  return out;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const lat = (v: unknown): v is number => typeof v === 'number' && v >= -90 && v <= 90;
const lon = (v: unknown): v is number => typeof v === 'number' && v >= -180 && v <= 180;
const latOrNull = (v: unknown): v is number | null => v === null || lat(v);
const lonOrNull = (v: unknown): v is number | null => v === null || lon(v);
const whole = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

function countryAt(table: readonly unknown[], i: unknown): string | null {
  if (!whole(i)) throw new Error('country');
  if (i === -1) return null;
  const c = table[i];
  if (typeof c !== 'string') throw new Error('country');
  return c;
}

/**
 * Route `i` of a routes answer, its key computed from the drawn positions; throws naming the field when the
 * columns do not hold a well-formed route there (the caller drops that route and counts its traces).
 */
export function decodeRoute(cols: RouteColumns, i: number): ShownRoute {
  const count = cols.count[i];
  const confirmed = cols.confirmed[i];
  const ids = cols.ids[i];
  if (!whole(count) || count < 1) throw new Error('count');
  if (!whole(confirmed) || confirmed < 0 || confirmed > count) throw new Error('confirmed');
  if (!Array.isArray(ids) || ids.length !== count || !ids.every(whole)) throw new Error('ids');
  const first = cols.firstSeen[i];
  const last = cols.lastSeen[i];
  if (typeof first !== 'number' || typeof last !== 'number' || Number.isNaN(new Date(first).getTime()))
    throw new Error('firstSeen');
  if (Number.isNaN(new Date(last).getTime())) throw new Error('lastSeen');
  const id = cols.id[i];
  if (!whole(id)) throw new Error('id');
  const ends = cols.ends[i];
  if (!Array.isArray(ends) || ends.length !== 4) throw new Error('ends');
  const [sLat, sLon, dLat, dLon] = ends;
  if (!latOrNull(sLat) || !lonOrNull(sLon) || !latOrNull(dLat) || !lonOrNull(dLon)) throw new Error('ends');
  const via = cols.via[i];
  if (!Array.isArray(via)) throw new Error('via');
  const countries = via.map((c) => countryAt(cols.countries, c) ?? '??');
  const flat = cols.path[i];
  if (!Array.isArray(flat) || flat.length % 5 !== 0) throw new Error('path');
  const path: ShownRoute['latest']['path'] = [];
  for (let j = 0; j < flat.length; j += 5) {
    const [ttl, status, precision, pLat, pLon] = flat.slice(j, j + 5);
    const drawn = DRAWN_STATUSES[status as number] as DrawnStatus | undefined;
    const place = PRECISIONS[precision as number];
    if (!whole(ttl) || !whole(status) || drawn === undefined || !whole(precision) || place === undefined)
      throw new Error('path');
    if (!lat(pLat) || !lon(pLon)) throw new Error('path');
    path.push({ ttl, status: drawn, precision: place, lat: pLat, lon: pLon });
  }
  const latest = {
    id,
    source: { country: countryAt(cols.countries, cols.sourceCountry[i]), lat: sLat, lon: sLon },
    destination: { lat: dLat, lon: dLon },
    countries,
    path,
  };
  return {
    key: routeKey(latest),
    count,
    confirmed,
    ids,
    firstSeen: iso(first),
    lastSeen: iso(last),
    latest,
  };
}

/** How many routes the columns hold (the `count` column's length; the guard checks the others match). */
export const routeCount = (cols: RouteColumns): number => cols.count.length;
