import type { TraceObservation } from '../../server/incidents/types.ts';

/** A detour observation with everything an incident test does not vary filled in. */
export function detourObservation(over: Partial<TraceObservation> = {}): TraceObservation {
  return {
    traceId: 1,
    agentId: 'ag_seattle',
    sourcePosition: { lat: 47.6, lon: -122.3 },
    sourceIp: '198.51.100.7',
    destinationIp: '203.0.113.10',
    startedAt: Date.parse('2024-05-01T00:00:00Z'),
    verdict: 'detour',
    confidence: 'confirmed',
    foreignCountries: ['CN'],
    foreignAsns: [4134],
    pathCountries: ['US', 'CN', 'US'],
    pathAsns: [3356, 4134, 7018],
    ...over,
  };
}

export function domesticObservation(over: Partial<TraceObservation> = {}): TraceObservation {
  return detourObservation({
    verdict: 'domestic',
    confidence: null,
    foreignCountries: [],
    foreignAsns: [],
    pathCountries: ['US'],
    pathAsns: [3356, 7018],
    ...over,
  });
}
