import type { LocationStatus } from '../../protocol/history-api.ts';
import type { DetourDetail, MapEndpoint, MapHop } from '../../protocol/map-api.ts';
import { pathOf } from '../../protocol/map-path.ts';
import type { Confidence, HopReading, Verdict } from '../../protocol/verdict.ts';

/** What the store holds about one detour, as the map needs it. */
export interface StoredDetour {
  id: number;
  startedAt: string;
  agentId: string | null;
  agentName: string | null;
  /** What the agent was asked to trace, else the trace's destination name or address. */
  target: string;
  /** Where the prober was (the agent's declared location, an Atlas probe's). */
  sourcePosition: { lat: number; lon: number } | null;
  confidence: Confidence;
  verdict: Verdict;
  /** The agent's location status now; absent or null for imports and pasted traces. */
  vantage?: LocationStatus | null;
  /** The RIPE Atlas probe of an imported trace. */
  probeId?: number | null;
}

/**
 * A hop reading as the map shows it. A refuted hop's location is the claim physics threw out: it goes to
 * `claimed`, never to `lat`/`lon`, so nothing draws it as a place the packet went.
 */
export function mapHop(h: HopReading): MapHop {
  const placed = h.status === 'home' || h.status === 'foreign-confirmed' || h.status === 'foreign-probable';
  const hop: MapHop = {
    ttl: h.ttl,
    ip: h.ip,
    name: h.name,
    asn: h.asn,
    org: h.org,
    country: h.country,
    city: h.city,
    lat: placed ? h.lat : null,
    lon: placed ? h.lon : null,
    precision: placed ? h.precision : null,
    locationSource: h.database,
    rttMs: h.rttMs,
    minRttMs: h.minRttMs,
    status: h.status,
  };
  if (h.status === 'refuted' && h.lat !== null && h.lon !== null) {
    hop.claimed = { country: h.country, lat: h.lat, lon: h.lon };
  }
  return hop;
}

/** The destination is placed where the hop that answered from its address was placed, if one did. */
function destinationOf(verdict: Verdict, hops: readonly MapHop[]): MapEndpoint {
  const { ip, country } = verdict.destination;
  const reached = ip === null ? undefined : [...hops].reverse().find((h) => h.ip === ip && h.lat !== null);
  return { ip, country, lat: reached?.lat ?? null, lon: reached?.lon ?? null };
}

export function detourDetail(d: StoredDetour): DetourDetail {
  const hops = d.verdict.hops.map(mapHop);
  return {
    id: d.id,
    startedAt: d.startedAt,
    agent: d.agentId === null ? null : { id: d.agentId, name: d.agentName ?? d.agentId },
    target: d.target,
    source: {
      ip: d.verdict.source.ip,
      country: d.verdict.source.country,
      lat: d.sourcePosition?.lat ?? null,
      lon: d.sourcePosition?.lon ?? null,
    },
    destination: destinationOf(d.verdict, hops),
    confidence: d.confidence,
    countries: d.verdict.countries,
    foreignAsns: d.verdict.foreignAsns,
    path: pathOf(hops),
    vantage: d.vantage ?? null,
    ...(d.probeId === undefined || d.probeId === null ? {} : { probeId: d.probeId }),
    hops,
  };
}
