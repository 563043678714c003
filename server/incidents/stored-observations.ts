import type Database from 'better-sqlite3';
import type { Confidence, VerdictKind } from '../../protocol/verdict.ts';
import type { TraceObservation } from './types.ts';

interface Row {
  id: number;
  agent_id: string | null;
  source_ip: string | null;
  destination_ip: string | null;
  started_at: number;
  verdict: VerdictKind;
  confidence: Confidence | null;
  countries: string;
  foreign_countries: string;
  foreign_asns: string;
  path_asns: string | null;
  lat: number | null;
  lon: number | null;
}

/**
 * Observations rebuilt from stored trace rows, for the tracker's catch-up: the traces stored after its
 * watermark, in id order, a page at a time.
 */
export function storedObservations(
  db: Database.Database,
): (afterId: number, limit: number) => TraceObservation[] {
  const page = db.prepare(
    `SELECT t.id, t.agent_id, t.source_ip, t.destination_ip, t.started_at, t.verdict, t.confidence, t.countries,
       t.foreign_countries, t.foreign_asns, t.path_asns,
       COALESCE(t.source_lat, a.lat) AS lat, COALESCE(t.source_lon, a.lon) AS lon
     FROM traces t LEFT JOIN agents a ON a.id = t.agent_id
     WHERE t.id > ? ORDER BY t.id LIMIT ?`,
  );
  return (afterId, limit) =>
    (page.all(afterId, limit) as Row[]).map((r) => ({
      traceId: r.id,
      agentId: r.agent_id,
      sourcePosition: r.lat === null || r.lon === null ? null : { lat: r.lat, lon: r.lon },
      sourceIp: r.source_ip,
      destinationIp: r.destination_ip,
      startedAt: r.started_at,
      verdict: r.verdict,
      confidence: r.confidence,
      foreignCountries: JSON.parse(r.foreign_countries) as string[],
      foreignAsns: JSON.parse(r.foreign_asns) as number[],
      pathCountries: JSON.parse(r.countries) as string[],
      pathAsns: r.path_asns === null ? null : (JSON.parse(r.path_asns) as number[]),
    }));
}
