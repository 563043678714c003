import type { DetourItem } from '../../protocol/history-api.ts';

/**
 * A detour as a GeoJSON Feature (RFC 7946): the path from the prober through the foreign hops the verdict
 * accepted, in TTL order, as [lon, lat]. Only placements the verdict kept are drawn; refuted ones are not
 * places. A path crossing the antimeridian (US -> China over the Pacific) is cut there into a
 * MultiLineString, as RFC 7946 section 3.1.9 asks, so flat maps do not draw it the long way round.
 */
export type LonLat = [number, number];

type Geometry =
  | { type: 'Point'; coordinates: LonLat }
  | { type: 'LineString'; coordinates: LonLat[] }
  | { type: 'MultiLineString'; coordinates: LonLat[][] };

export interface DetourFeature {
  type: 'Feature';
  id: number;
  geometry: Geometry | null;
  properties: Record<string, unknown>;
}

/** The path's points: the prober's position (when known), then each foreign hop's accepted location. */
export function pathPoints(d: DetourItem): LonLat[] {
  const points: LonLat[] = [];
  if (d.sourcePosition) points.push([d.sourcePosition.lon, d.sourcePosition.lat]);
  for (const h of [...d.foreignHops].sort((a, b) => a.ttl - b.ttl)) points.push([h.lon, h.lat]);
  return points;
}

/**
 * Splits a line wherever a segment is shorter going across the antimeridian than around the world, adding
 * the crossing point (latitude interpolated linearly in the unwrapped longitude) at -180 and 180.
 */
export function splitAtAntimeridian(points: readonly LonLat[]): LonLat[][] {
  const parts: LonLat[][] = [];
  let current: LonLat[] = [];
  let prev: LonLat | null = null;
  for (const p of points) {
    if (prev !== null && Math.abs(p[0] - prev[0]) > 180) {
      const east = prev[0] > 0;
      // Unwrap p to the side of prev, find where the segment meets +-180.
      const lon2 = east ? p[0] + 360 : p[0] - 360;
      const edge = east ? 180 : -180;
      const t = (edge - prev[0]) / (lon2 - prev[0]);
      const lat = prev[1] + t * (p[1] - prev[1]);
      current.push([edge, lat]);
      parts.push(current);
      current = [[-edge, lat]];
    }
    current.push(p);
    prev = p;
  }
  if (current.length > 0) parts.push(current);
  return parts;
}

export function pathGeometry(points: readonly LonLat[]): Geometry | null {
  const [first] = points;
  if (first === undefined) return null;
  if (points.length === 1) return { type: 'Point', coordinates: first };
  const parts = splitAtAntimeridian(points);
  const [only] = parts;
  return parts.length === 1 && only
    ? { type: 'LineString', coordinates: only }
    : { type: 'MultiLineString', coordinates: parts };
}

export function detourFeature(d: DetourItem): DetourFeature {
  return {
    type: 'Feature',
    id: d.id,
    geometry: pathGeometry(pathPoints(d)),
    properties: {
      startedAt: d.startedAt,
      origin: d.origin,
      agentId: d.agentId,
      agentName: d.agentName,
      sourceIp: d.sourceIp,
      destinationIp: d.destinationIp,
      destinationName: d.destinationName,
      confidence: d.confidence,
      countries: d.countries,
      foreignCountries: d.foreignCountries,
      foreignAsns: d.foreignAsns,
      extraKm: d.extraKm,
      incidentId: d.incidentId,
      reason: d.reason,
      foreignHops: d.foreignHops.map((h) => ({
        ttl: h.ttl,
        ip: h.ip,
        country: h.country,
        city: h.city,
        asn: h.asn,
        org: h.org,
        precision: h.precision,
        rttMs: h.rttMs,
        minRttMs: h.minRttMs,
        confirmed: h.confirmed,
      })),
    },
  };
}
