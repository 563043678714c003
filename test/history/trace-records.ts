import type { TraceObservation } from '../../server/incidents/types.ts';
import type { ImportRecord } from '../../server/store/trace-store.ts';

let keys = 0;

/**
 * The trace and verdict an observation describes, as an imported trace the store writes through its real
 * write path (so what incidents read back is what the store made of it). Hops are left out: incidents and
 * the history's lists read only the verdict.
 */
export function recordOf(o: TraceObservation): ImportRecord {
  return {
    origin: o.agentId === null ? 'import' : 'agent',
    agentId: o.agentId,
    importKey: `test-${process.pid}-${++keys}`,
    trace: {
      tool: 'scamper',
      method: 'icmp-paris',
      ipVersion: 4,
      source: { address: o.sourceIp },
      destination: { address: o.destinationIp },
      startedAt: new Date(o.startedAt).toISOString(),
      hops: [],
    },
    verdict: {
      verdict: o.verdict,
      confidence: o.confidence,
      homeCountry: 'US',
      source: { ip: o.sourceIp, country: 'US' },
      destination: { ip: o.destinationIp, country: 'US' },
      countries: o.pathCountries,
      foreignAsns: o.foreignAsns,
      foreignHops: o.foreignCountries.map((country, i) => ({
        ttl: 5 + i,
        ip: `192.0.2.${10 + i}`,
        country,
        asn: o.foreignAsns[i] ?? null,
        org: null,
        city: null,
        lat: 30,
        lon: 120,
        precision: 'city',
        rttMs: 180,
        minRttMs: 100,
        confirmed: o.confidence === 'confirmed',
      })),
      refutedHops: [],
      extraKm: o.verdict === 'detour' ? 18000 : null,
      reason: `test ${o.verdict}`,
      hops: [],
    },
    sourcePosition: o.sourcePosition,
    pathAsns: o.pathAsns,
  };
}
