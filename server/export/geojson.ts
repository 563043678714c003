import type { DetourItem } from '../../protocol/history-api.ts';
import type { HopReading } from '../../protocol/verdict.ts';

/**
 * A detour as a GeoJSON Feature (RFC 7946): the path from the prober through every hop with an accepted
 * location, home and abroad, in TTL order, to the destination when it answered, as [lon, lat]: the leg back
 * home is drawn. Refuted claims are not places and are not drawn; every hop's reading (status, claim,
 * RTTs) is in the properties, with `drawn` saying whether it is a point of the line. A path crossing the
 * antimeridian (US -> China over the Pacific) is cut there into a MultiLineString, as RFC 7946 section 3.1.9
 * asks, so flat maps do not draw it the long way round.
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

/** Readings with a place the verdict accepted (a refuted claim is where the hop is not). */
const LOCATED: ReadonlySet<string> = new Set(['home', 'foreign-confirmed', 'foreign-probable']);

const isDrawn = (h: HopReading): boolean => LOCATED.has(h.status) && h.lat !== null && h.lon !== null;

/**
 * The readings in TTL order. Items from a coordinator older than the hop table in DetourItem carry only
 * their foreign hops: those stand in.
 */
function readings(d: DetourItem): HopReading[] {
  const hops: HopReading[] =
    d.hops ??
    d.foreignHops.map((f) => ({
      ttl: f.ttl,
      ip: f.ip,
      status: f.confirmed ? 'foreign-confirmed' : 'foreign-probable',
      country: f.country,
      rttMs: f.rttMs,
      minRttMs: f.minRttMs,
      name: null,
      asn: f.asn,
      org: f.org,
      city: f.city,
      lat: f.lat,
      lon: f.lon,
      precision: f.precision,
      database: null,
    }));
  return [...hops].sort((a, b) => a.ttl - b.ttl);
}

/** The path's points: the prober's position (when known), then each hop's accepted location, destination last. */
export function pathPoints(d: DetourItem): LonLat[] {
  const points: LonLat[] = [];
  if (d.sourcePosition) points.push([d.sourcePosition.lon, d.sourcePosition.lat]);
  for (const h of readings(d)) if (isDrawn(h)) points.push([h.lon as number, h.lat as number]);
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
  const hops = readings(d);
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
      // The destination ends the line when it answered from a located place (its reading is the last point).
      destinationReached: hops.some((h) => h.ip !== null && h.ip === d.destinationIp && isDrawn(h)),
      hops: hops.map((h) => ({
        ttl: h.ttl,
        ip: h.ip,
        status: h.status,
        country: h.country,
        city: h.city,
        asn: h.asn,
        org: h.org,
        precision: h.precision,
        lat: h.lat,
        lon: h.lon,
        rttMs: h.rttMs,
        minRttMs: h.minRttMs,
        database: h.database,
        drawn: isDrawn(h),
      })),
    },
  };
}
