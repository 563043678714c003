import type { DetourDetail, MapHop } from '../../protocol/map-api.ts';
import { pathOf } from '../../protocol/map-path.ts';

/**
 * Detours as the map API returns them, written by hand for the unit tests of the page's pure modules and
 * routes (the browser tests build theirs through the real ingest path). Places are real cities; addresses
 * are documentation ranges.
 */

export const HOSTILE = '<img src=x onerror="window.__pwned=1">';

type HopSpec = Partial<MapHop> & Pick<MapHop, 'ttl' | 'status'>;

function hop(spec: HopSpec): MapHop {
  return {
    ip: null,
    name: null,
    asn: null,
    org: null,
    country: null,
    city: null,
    lat: null,
    lon: null,
    precision: null,
    locationSource: null,
    rttMs: null,
    minRttMs: null,
    ...spec,
  };
}

const CITY = {
  losAngeles: { city: 'Los Angeles', country: 'US', lat: 34.05, lon: -118.24 },
  sanJose: { city: 'San Jose', country: 'US', lat: 37.34, lon: -121.89 },
  ashburn: { city: 'Ashburn', country: 'US', lat: 39.04, lon: -77.49 },
  newYork: { city: 'New York', country: 'US', lat: 40.71, lon: -74.01 },
  chicago: { city: 'Chicago', country: 'US', lat: 41.88, lon: -87.63 },
  hangzhou: { city: 'Hangzhou', country: 'CN', lat: 30.27, lon: 120.16 },
  shanghai: { city: 'Shanghai', country: 'CN', lat: 31.23, lon: 121.47 },
  frankfurt: { city: 'Frankfurt am Main', country: 'DE', lat: 50.11, lon: 8.68 },
  london: { city: 'London', country: 'GB', lat: 51.51, lon: -0.13 },
} as const;

const DB = 'GeoLite2-City';

/** A detail as the coordinator builds it: the drawn path derived from the hop table. */
function detail(d: Omit<DetourDetail, 'path' | 'vantage'>): DetourDetail {
  return { ...d, path: pathOf(d.hops), vantage: null };
}

/** The canonical case of the design brief: Los Angeles -> Hangzhou -> Washington DC through AS4134. */
export function laHangzhouDc(id: number, startedAt: string): DetourDetail {
  return detail({
    id,
    startedAt,
    agent: { id: 'agent-la-1', name: 'LA volunteer' },
    target: 'www.example.gov',
    source: { ip: '192.0.2.10', country: 'US', lat: CITY.losAngeles.lat, lon: CITY.losAngeles.lon },
    destination: { ip: '198.51.100.20', country: 'US', lat: CITY.ashburn.lat, lon: CITY.ashburn.lon },
    confidence: 'confirmed',
    countries: ['US', 'CN'],
    foreignAsns: [4134],
    hops: [
      hop({ ttl: 1, ip: '10.0.0.1', status: 'special', rttMs: 0.4 }),
      hop({
        ttl: 2,
        ip: '192.0.2.1',
        name: 'lax-edge1.example.net',
        asn: 64500,
        org: 'Example Transit',
        ...CITY.losAngeles,
        precision: 'city',
        locationSource: DB,
        rttMs: 1.2,
        minRttMs: 0,
        status: 'home',
      }),
      hop({
        ttl: 3,
        ip: '203.0.113.5',
        asn: 4134,
        org: 'CHINANET-BACKBONE No.31,Jin-rong Street',
        ...CITY.hangzhou,
        precision: 'city',
        locationSource: DB,
        rttMs: 131.7,
        minRttMs: 106,
        status: 'foreign-confirmed',
      }),
      hop({
        ttl: 4,
        ip: '203.0.113.9',
        asn: 4134,
        org: 'CHINANET-BACKBONE No.31,Jin-rong Street',
        ...CITY.shanghai,
        precision: 'city',
        locationSource: DB,
        rttMs: 134.2,
        minRttMs: 104,
        status: 'foreign-confirmed',
      }),
      hop({ ttl: 5, status: 'no-reply' }),
      hop({
        ttl: 6,
        ip: '198.51.100.1',
        asn: 64501,
        org: 'Example Federal Hosting',
        ...CITY.ashburn,
        precision: 'city',
        locationSource: DB,
        rttMs: 241.9,
        minRttMs: 36.9,
        status: 'home',
      }),
    ],
  });
}

/** A probable detour New York -> Frankfurt -> Chicago, with a refuted London claim on the way. */
export function nyFrankfurtChicago(id: number, startedAt: string): DetourDetail {
  return detail({
    id,
    startedAt,
    agent: { id: 'agent-ny-1', name: 'NYC volunteer' },
    target: 'chicago.example.com',
    source: { ip: '192.0.2.30', country: 'US', lat: CITY.newYork.lat, lon: CITY.newYork.lon },
    destination: { ip: '198.51.100.40', country: 'US', lat: CITY.chicago.lat, lon: CITY.chicago.lon },
    confidence: 'probable',
    countries: ['US', 'DE'],
    foreignAsns: [3320],
    hops: [
      hop({
        ttl: 1,
        ip: '192.0.2.33',
        ...CITY.newYork,
        precision: 'city',
        locationSource: DB,
        rttMs: 0.9,
        minRttMs: 0,
        status: 'home',
      }),
      hop({
        ttl: 2,
        ip: '203.0.113.77',
        asn: 64510,
        org: 'Example Carrier UK',
        country: 'GB',
        rttMs: 3.1,
        minRttMs: 55.7,
        status: 'refuted',
        claimed: { country: 'GB', lat: CITY.london.lat, lon: CITY.london.lon },
      }),
      hop({
        ttl: 3,
        ip: '203.0.113.80',
        name: 'fra-core2.example.de',
        asn: 3320,
        org: 'Deutsche Telekom AG',
        ...CITY.frankfurt,
        precision: 'city',
        locationSource: DB,
        rttMs: 88.4,
        minRttMs: 62.5,
        status: 'foreign-probable',
      }),
      hop({
        ttl: 4,
        ip: '198.51.100.41',
        ...CITY.chicago,
        precision: 'city',
        locationSource: DB,
        rttMs: 96.3,
        minRttMs: 11.4,
        status: 'home',
      }),
    ],
  });
}

/** A detour whose foreign hop is known only to country level (a centroid), from a hostile-named agent. */
export function hostileCountryLevel(id: number, startedAt: string): DetourDetail {
  return detail({
    id,
    startedAt,
    agent: { id: 'agent-sj-1', name: HOSTILE },
    target: 'mail.example.org',
    source: { ip: '192.0.2.50', country: 'US', lat: CITY.sanJose.lat, lon: CITY.sanJose.lon },
    destination: { ip: '198.51.100.60', country: 'US', lat: CITY.newYork.lat, lon: CITY.newYork.lon },
    confidence: 'probable',
    countries: ['US', 'JP'],
    foreignAsns: [64999],
    hops: [
      hop({
        ttl: 1,
        ip: '192.0.2.51',
        name: HOSTILE,
        asn: 64999,
        org: HOSTILE,
        country: 'JP',
        lat: 35.69,
        lon: 139.69,
        precision: 'country',
        locationSource: DB,
        rttMs: 120.5,
        minRttMs: 82,
        status: 'foreign-probable',
      }),
      hop({
        ttl: 2,
        ip: '198.51.100.61',
        country: 'US',
        lat: 37.751,
        lon: -97.822,
        precision: 'country',
        locationSource: DB,
        rttMs: 180.2,
        minRttMs: 0,
        status: 'home',
      }),
    ],
  });
}
