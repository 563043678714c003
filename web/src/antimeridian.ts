import type { MultiPolygon, Polygon, Position } from 'geojson';

/**
 * world-atlas stitches shapes across the antimeridian (for spherical renderers), so Russia's and Fiji's rings
 * step from 180° to -180° and a flat Web Mercator map draws that step as a streak across the whole world.
 * Here every edge is made short: rings are unwrapped past 180° (never below -180°), so a shape crossing the
 * antimeridian sticks out east of the map's edge. The base map also draws the world one turn west (the view
 * across the Pacific), and that copy puts the sticking-out part (Chukotka, eastern Fiji) back at -180°..-170°.
 */

export interface UnwrappedRing {
  ring: Position[];
  /** How many times the ring circles a pole (Antarctica: ±1; ordinary shapes: 0). */
  wraps: number;
}

/** Adds or removes whole turns so that no edge spans more than 180° of longitude. */
export function unwrapRing(ring: Position[]): UnwrappedRing {
  const out: Position[] = [];
  let offset = 0;
  let prevLon: number | null = null;
  for (const [lon = 0, lat = 0] of ring) {
    if (prevLon !== null) {
      const step = lon - prevLon;
      if (step > 180) offset -= 360;
      else if (step < -180) offset += 360;
    }
    prevLon = lon;
    out.push([lon + offset, lat]);
  }
  return { ring: out, wraps: Math.round(offset / 360) };
}

/** A ring around a pole becomes a band: close it along the pole's latitude instead of across the map. */
function closeAroundPole(ring: Position[]): Position[] {
  const first = ring[0];
  const last = ring[ring.length - 1];
  if (!first || !last) return ring;
  const meanLat = ring.reduce((sum, p) => sum + (p[1] ?? 0), 0) / ring.length;
  const poleLat = meanLat < 0 ? -90 : 90;
  const closed = [...ring, [last[0] ?? 0, poleLat], [first[0] ?? 0, poleLat], first];
  const minLon = Math.min(...closed.map((p) => p[0] ?? 0));
  // Start the band at -180° so it covers exactly one world.
  const shift = -180 - minLon;
  return closed.map(([lon = 0, lat = 0]) => [lon + shift, lat]);
}

function fixPolygon(rings: Position[][]): Position[][] {
  const fixed = rings.map((r) => {
    const u = unwrapRing(r);
    return u.wraps === 0 ? u.ring : closeAroundPole(u.ring);
  });
  const min = Math.min(...fixed.flatMap((r) => r.map((p) => p[0] ?? 0)));
  return min < -180 ? shiftRings(fixed, 360) : fixed;
}

function shiftRings(rings: Position[][], dLon: number): Position[][] {
  return rings.map((r) => r.map(([lon = 0, lat = 0]) => [lon + dLon, lat]));
}

/** The same shape with no edge longer than 180° of longitude, as one MultiPolygon. */
export function fixAntimeridian(geometry: Polygon | MultiPolygon): MultiPolygon {
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  return { type: 'MultiPolygon', coordinates: polygons.map(fixPolygon) };
}

/** The shape moved by whole worlds (for the copy of the world west of the Pacific). */
export function shiftGeometry(geometry: MultiPolygon, dLon: number): MultiPolygon {
  return { type: 'MultiPolygon', coordinates: geometry.coordinates.map((p) => shiftRings(p, dLon)) };
}
