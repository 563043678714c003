import type Database from 'better-sqlite3';
import type { TraceObservation } from '../../server/incidents/types.ts';

/**
 * Stores the trace row an observation describes (the columns incidents and queries read), so tracker and
 * query tests run on real rows with real foreign keys. Returns the observation with the row's id.
 */
export function storeObserved(db: Database.Database, o: TraceObservation): TraceObservation {
  const verdict = {
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
  };
  const { lastInsertRowid } = db
    .prepare(
      `INSERT INTO traces (origin, agent_id, source_ip, destination_ip, tool, method, ip_version, started_at, verdict,
         confidence, home_country, countries, foreign_countries, foreign_asns, extra_km, verdict_json)
       VALUES (?, ?, ?, ?, 'scamper', 'icmp-paris', 4, ?, ?, ?, 'US', ?, ?, ?, ?, ?)`,
    )
    .run(
      o.agentId === null ? 'import' : 'agent',
      o.agentId,
      o.sourceIp,
      o.destinationIp,
      o.startedAt,
      o.verdict,
      o.confidence,
      JSON.stringify(o.pathCountries),
      JSON.stringify(o.foreignCountries),
      JSON.stringify(o.foreignAsns),
      verdict.extraKm,
      JSON.stringify(verdict),
    );
  const id = Number(lastInsertRowid);
  const insertForeign = db.prepare(
    'INSERT INTO foreign_hops (trace_id, ttl, ip, country, asn, confirmed) VALUES (?, ?, ?, ?, ?, ?)',
  );
  for (const h of verdict.foreignHops)
    insertForeign.run(id, h.ttl, h.ip, h.country, h.asn, h.confirmed ? 1 : 0);
  return { ...o, traceId: id };
}
