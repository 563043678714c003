import type { MapEndpoint, RouteDrawing } from '../../protocol/map-api.ts';

/** What a drawn point or leg rests on: the colour of the map. */
export type Evidence = 'domestic' | 'foreign-confirmed' | 'foreign-probable';

const RANK: Record<Evidence, number> = { domestic: 0, 'foreign-probable': 1, 'foreign-confirmed': 2 };

/** The stronger claim wins: a leg into or out of a confirmed foreign hop is drawn as confirmed. */
export const strongest = (a: Evidence, b: Evidence): Evidence => (RANK[a] >= RANK[b] ? a : b);

export interface PathPoint {
  lat: number;
  /** Unwrapped: consecutive points are never more than 180° apart, so a path crosses the Pacific, not Europe. */
  lon: number;
  evidence: Evidence;
  /** Known only to country level: drawn hollow, with dashed legs. */
  approximate: boolean;
  role: 'source' | 'hop' | 'destination';
  /** The hop's TTL, or null for the source and destination. */
  ttl: number | null;
}

export interface PathLeg {
  from: PathPoint;
  to: PathPoint;
  evidence: Evidence;
  approximate: boolean;
}

/** A refuted database claim, placed where the database put it. */
export interface ClaimPoint {
  lat: number;
  lon: number;
  ttl: number;
}

export interface PathGeometry {
  id: number;
  points: PathPoint[];
  legs: PathLeg[];
  claims: ClaimPoint[];
  /** Longitude range of the points; outside [-180, 180] the path is also drawn one world over. */
  minLon: number;
  maxLon: number;
}

/** The nearest copy of `lon` to `ref` (within 180°). */
export function nearLon(lon: number, ref: number): number {
  return lon + 360 * Math.round((ref - lon) / 360);
}

/** A point before unwrapping: its longitude as received. */
type RawPoint = Omit<PathPoint, 'lon'> & { rawLon: number };

function endpointPoint(e: Pick<MapEndpoint, 'lat' | 'lon'>, role: 'source' | 'destination'): RawPoint | null {
  if (e.lat === null || e.lon === null) return null;
  return { lat: e.lat, rawLon: e.lon, evidence: 'domestic', approximate: false, role, ttl: null };
}

/**
 * The points a path is drawn through: the source, every hop the verdict placed, the destination.
 * Home hops known only to country level are left out: they would all meet at the country's centroid (GeoLite2's
 * 37.751,-97.822 for the US) and draw a false hub; the hop table still lists them. Foreign country-level hops
 * stay, marked approximate, because they are the evidence.
 */
export function pathGeometry(d: Pick<RouteDrawing, 'id' | 'source' | 'destination' | 'path'>): PathGeometry {
  const raw: RawPoint[] = [];
  const src = endpointPoint(d.source, 'source');
  if (src) raw.push(src);
  for (const hop of d.path) {
    if (hop.status === 'refuted') continue;
    const evidence: Evidence = hop.status === 'home' ? 'domestic' : hop.status;
    const approximate = hop.precision !== 'city';
    if (approximate && evidence === 'domestic') continue;
    raw.push({ lat: hop.lat, rawLon: hop.lon, evidence, approximate, role: 'hop', ttl: hop.ttl });
  }
  const dst = endpointPoint(d.destination, 'destination');
  if (dst) raw.push(dst);

  const points: PathPoint[] = [];
  for (const r of raw) {
    const prev = points[points.length - 1];
    const lon = prev ? nearLon(r.rawLon, prev.lon) : r.rawLon;
    // Two readings at one place (the last hop is often the destination) make one point.
    if (prev && prev.lat === r.lat && prev.lon === lon) {
      prev.evidence = strongest(prev.evidence, r.evidence);
      continue;
    }
    points.push({ ...r, lon });
  }

  const legs: PathLeg[] = [];
  for (let i = 1; i < points.length; i++) {
    const from = points[i - 1] as PathPoint;
    const to = points[i] as PathPoint;
    legs.push({
      from,
      to,
      evidence: strongest(from.evidence, to.evidence),
      approximate: from.approximate || to.approximate,
    });
  }

  const ref = points[0]?.lon ?? 0;
  const claims: ClaimPoint[] = [];
  for (const hop of d.path) {
    if (hop.status === 'refuted') claims.push({ lat: hop.lat, lon: nearLon(hop.lon, ref), ttl: hop.ttl });
  }

  const lons = [...points, ...claims].map((p) => p.lon);
  return {
    id: d.id,
    points,
    legs,
    claims,
    minLon: lons.length > 0 ? Math.min(...lons) : 0,
    maxLon: lons.length > 0 ? Math.max(...lons) : 0,
  };
}

/** The world shifts (degrees) to draw a path at, so that each of its points shows on the main world too. */
export function worldShifts(g: Pick<PathGeometry, 'minLon' | 'maxLon'>): number[] {
  const shifts = [0];
  if (g.minLon < -180) shifts.push(360);
  if (g.maxLon > 180) shifts.push(-360);
  return shifts;
}

/** Distance in pixels from point p to the segment a-b (for picking the path under a click). */
export function distanceToSegment(
  p: { x: number; y: number },
  a: { x: number; y: number },
  b: { x: number; y: number },
): number {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const lengthSq = dx * dx + dy * dy;
  const t = lengthSq === 0 ? 0 : Math.max(0, Math.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / lengthSq));
  return Math.hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy));
}
