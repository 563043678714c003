import type { DetourItem } from '../../protocol/history-api.ts';

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
    extraKm: 12345.678,
    incidentId: 3,
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
    ...over,
  };
}
