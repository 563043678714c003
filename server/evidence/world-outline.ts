/**
 * The land outline the report's static map draws: Natural Earth 1:110m land from the `world-atlas` package
 * (public domain), read once and kept. world-atlas stitches shapes across the antimeridian for spherical
 * renderers, so each ring is unwrapped here (no edge longer than 180 degrees of longitude: Russia and Fiji
 * stick out east of 180) and a ring around a pole (Antarctica) is closed along the pole instead of across the
 * map; svg-map.ts draws a ring again one world east or west where the view needs it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { feature } from 'topojson-client';
import type { Topology } from 'topojson-specification';
import type { LonLat, Ring } from './svg-map.ts';

let cached: Ring[] | null = null;

function unwrap(ring: readonly LonLat[]): { points: LonLat[]; wraps: number } {
  const points: LonLat[] = [];
  let offset = 0;
  let prev: number | null = null;
  for (const [lon, lat] of ring) {
    if (prev !== null) {
      if (lon - prev > 180) offset -= 360;
      else if (lon - prev < -180) offset += 360;
    }
    prev = lon;
    points.push([lon + offset, lat]);
  }
  return { points, wraps: Math.round(offset / 360) };
}

function closeAroundPole(points: LonLat[]): LonLat[] {
  const first = points[0];
  const last = points.at(-1);
  if (!first || !last) return points;
  const meanLat = points.reduce((sum, p) => sum + p[1], 0) / points.length;
  const pole = meanLat < 0 ? -90 : 90;
  return [...points, [last[0], pole], [first[0], pole]];
}

function ringOf(raw: readonly LonLat[]): Ring {
  const { points, wraps } = unwrap(raw);
  const closed = wraps === 0 ? points : closeAroundPole(points);
  const lons = closed.map((p) => p[0]);
  const lats = closed.map((p) => p[1]);
  return {
    points: closed,
    west: Math.min(...lons),
    east: Math.max(...lons),
    south: Math.min(...lats),
    north: Math.max(...lats),
  };
}

type Polygonal =
  | { type: 'Polygon'; coordinates: LonLat[][] }
  | { type: 'MultiPolygon'; coordinates: LonLat[][][] };

/** Every ring of the world's land, unwrapped, read from world-atlas on first use. */
export function worldRings(): Ring[] {
  if (cached) return cached;
  const file = createRequire(import.meta.url).resolve('world-atlas/land-110m.json');
  const topology = JSON.parse(readFileSync(file, 'utf8')) as Topology;
  const land = topology.objects.land;
  if (!land) throw new Error(`${file} has no "land" object`);
  const geo = feature(topology, land) as unknown as
    | { type: 'Feature'; geometry: Polygonal | null }
    | { type: 'FeatureCollection'; features: { geometry: Polygonal | null }[] };
  const geometries = geo.type === 'Feature' ? [geo.geometry] : geo.features.map((f) => f.geometry);
  const rings: Ring[] = [];
  for (const g of geometries) {
    if (!g) continue;
    const polygons = g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
    for (const polygon of polygons) for (const ring of polygon) rings.push(ringOf(ring));
  }
  cached = rings;
  return rings;
}
