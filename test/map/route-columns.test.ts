import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DRAWN_STATUSES, type MapRoute, type RoutePage } from '../../protocol/map-api.ts';
import { routeKey, summarise } from '../../protocol/map-path.ts';
import { encodeRoutes } from '../../protocol/route-columns.ts';
import { readRoutePage } from '../../web/src/api-guards.ts';
import { laHangzhouDc, nyFrankfurtChicago } from './map-fixtures.ts';

const country = fc.constantFrom('US', 'CN', 'DE', 'JP', 'PR');
// JSON has no -0: a position of -0 arrives as 0, the same place.
const lat = fc.double({ min: -90, max: 90, noNaN: true }).map((v) => v + 0);
const lon = fc.double({ min: -180, max: 180, noNaN: true }).map((v) => v + 0);
const instant = fc
  .integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) })
  .map((ms) => new Date(ms).toISOString());

const summary = fc.record({
  id: fc.nat(),
  startedAt: instant,
  agent: fc.constant(null),
  target: fc.string(),
  source: fc.record({
    ip: fc.constant(null),
    country: fc.option(country),
    lat: fc.option(lat),
    lon: fc.option(lon),
  }),
  destination: fc.record({
    ip: fc.constant(null),
    country: fc.option(country),
    lat: fc.option(lat),
    lon: fc.option(lon),
  }),
  confidence: fc.constantFrom('confirmed' as const, 'probable' as const),
  countries: fc.array(country, { maxLength: 4 }),
  foreignAsns: fc.array(fc.nat(), { maxLength: 3 }),
  path: fc.array(
    fc.record({
      ttl: fc.integer({ min: 1, max: 64 }),
      status: fc.constantFrom(...DRAWN_STATUSES),
      lat,
      lon,
      precision: fc.constantFrom('city' as const, 'country' as const),
    }),
    { maxLength: 6 },
  ),
  vantage: fc.constant(null),
});

const route = fc
  .tuple(summary, fc.array(fc.nat(), { minLength: 1, maxLength: 5 }), instant, instant, fc.nat())
  .map(
    ([latest, ids, a, b, c]): MapRoute => ({
      key: routeKey(latest),
      count: ids.length,
      confirmed: c % (ids.length + 1),
      ids,
      // ISO 8601 in one form sorts as text.
      firstSeen: [a, b].sort()[0] as string,
      lastSeen: [a, b].sort()[1] as string,
      latest,
    }),
  );

/** What the page keeps of a route: everything but the newest detour's fields the map does not draw. */
const shown = (r: MapRoute) => ({
  ...r,
  latest: {
    id: r.latest.id,
    source: { country: r.latest.source.country, lat: r.latest.source.lat, lon: r.latest.source.lon },
    destination: { lat: r.latest.destination.lat, lon: r.latest.destination.lon },
    countries: r.latest.countries,
    path: r.latest.path,
  },
});

const roundTrip = (page: RoutePage) => readRoutePage(JSON.parse(JSON.stringify(encodeRoutes(page))));

describe('the compact routes answer', () => {
  it('decodes to the routes it encodes (through JSON), keys included', () => {
    fc.assert(
      fc.property(fc.array(route, { maxLength: 8 }), (routes) => {
        const grouped = routes.reduce((n, r) => n + r.count, 0);
        const { page, dropped } = roundTrip({ routes, total: grouped + 3, grouped });
        expect(dropped).toBe(0);
        expect(page).toEqual({ routes: routes.map(shown), total: grouped + 3, grouped });
      }),
      { numRuns: 200 },
    );
  });

  it('is a fraction of the row form, and drops only a damaged route, counting its traces', () => {
    const rows = [
      laHangzhouDc(1, '2026-03-01T08:00:00.000Z'),
      nyFrankfurtChicago(2, '2026-03-01T09:00:00.000Z'),
    ];
    const routes: MapRoute[] = rows.map(summarise).map((d) => ({
      key: routeKey(d),
      count: 1,
      confirmed: d.confidence === 'confirmed' ? 1 : 0,
      ids: [d.id],
      firstSeen: d.startedAt,
      lastSeen: d.startedAt,
      latest: d,
    }));
    const page: RoutePage = { routes, total: 2, grouped: 2 };
    const cols = encodeRoutes(page);
    expect(JSON.stringify(cols).length).toBeLessThan(JSON.stringify(page).length / 2);
    const damaged = JSON.parse(JSON.stringify(cols));
    damaged.path[0][3] = 400;
    const read = readRoutePage(damaged);
    expect(read.page.routes.map((r) => r.ids)).toEqual([[2]]);
    expect(read.dropped).toBe(1);
    expect(() => readRoutePage({ ...cols, id: [] })).toThrow(/not a list of routes/);
  });
});
