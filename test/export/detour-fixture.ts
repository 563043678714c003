import type { DetourItem } from '../../protocol/history-api.ts';
import type { HopReading } from '../../protocol/verdict.ts';

/** One TTL's reading, unlocated and silent unless told. */
export function reading(over: Partial<HopReading> & Pick<HopReading, 'ttl' | 'status'>): HopReading {
  return {
    ip: null,
    country: null,
    rttMs: null,
    minRttMs: null,
    name: null,
    asn: null,
    org: null,
    city: null,
    lat: null,
    lon: null,
    precision: over.lat === undefined ? null : 'city',
    database: over.lat === undefined ? null : 'world-city.mmdb',
    ...over,
  };
}

/** A detour item as the API answers it, with hostile text in every field that comes from outside. */
export function detourItem(over: Partial<DetourItem> = {}): DetourItem {
  return {
    id: 7,
    origin: 'agent',
    agentId: 'ag_1',
    resultId: 'r-1',
    sourceIp: '198.51.100.7',
    destinationIp: '203.0.113.10',
    destinationName: '=HYPERLINK("http://evil.example","x")',
    tool: 'scamper',
    method: 'icmp-paris',
    ipVersion: 4,
    startedAt: '2024-05-01T00:00:00.000Z',
    verdict: 'detour',
    confidence: 'confirmed',
    countries: ['US', 'CN'],
    foreignCountries: ['CN'],
    foreignAsns: [4134],
    late: false,
    extraKm: 12345.678,
    incidentId: 3,
    vantage: 'verified',
    agentName: '+cmd|" /C calc"!A0',
    sourcePosition: { lat: 34.05, lon: -118.24 },
    foreignHops: [
      {
        ttl: 5,
        ip: '192.0.2.5',
        country: 'CN',
        asn: 4134,
        org: '@SUM(1+1), "China Telecom"\r\nline two',
        city: 'Hangzhou',
        lat: 30.29,
        lon: 120.16,
        precision: 'city',
        rttMs: 160.2,
        minRttMs: 105.99,
        confirmed: true,
      },
    ],
    reason: '-2+3 the path went through CN',
    hops: [
      reading({ ttl: 1, ip: '10.0.0.1', status: 'special', rttMs: 0.4 }),
      reading({
        ttl: 2,
        ip: '198.51.100.1',
        status: 'home',
        country: 'US',
        city: 'Los Angeles',
        lat: 34.06,
        lon: -118.25,
        rttMs: 1.2,
      }),
      reading({ ttl: 3, ip: null, status: 'no-reply' }),
      reading({
        ttl: 5,
        ip: '192.0.2.5',
        status: 'foreign-confirmed',
        country: 'CN',
        city: 'Hangzhou',
        lat: 30.29,
        lon: 120.16,
        rttMs: 160.2,
        minRttMs: 105.99,
        asn: 4134,
      }),
      // Claimed in Frankfurt, refuted by its RTT: not a place the line goes through.
      reading({
        ttl: 6,
        ip: '192.0.2.6',
        status: 'refuted',
        country: 'DE',
        city: 'Frankfurt',
        lat: 50.11,
        lon: 8.68,
        rttMs: 170,
      }),
      reading({
        ttl: 8,
        ip: '203.0.113.10',
        status: 'home',
        country: 'US',
        city: 'Washington',
        lat: 38.9,
        lon: -77.04,
        rttMs: 230.5,
      }),
    ],
    ...over,
  };
}
