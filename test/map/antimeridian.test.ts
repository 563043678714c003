import type { MultiPolygon, Polygon, Position } from 'geojson';
import { feature } from 'topojson-client';
import type { Topology } from 'topojson-specification';
import { describe, expect, it } from 'vitest';
import countries from 'world-atlas/countries-110m.json' with { type: 'json' };
import { fixAntimeridian, shiftGeometry, unwrapRing } from '../../web/src/antimeridian.ts';

type Shape = { id?: string | number; properties: { name?: string } | null; geometry: Polygon | MultiPolygon };

const topo = countries as unknown as Topology;
const shapes = (
  feature(topo, topo.objects.countries as Parameters<typeof feature>[1]) as unknown as { features: Shape[] }
).features;

/** Edges longer than 180° of longitude, leaving out edges along a pole (the closing of a band). */
function longSteps(g: Polygon | MultiPolygon): number {
  const polygons = g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
  let n = 0;
  for (const rings of polygons) {
    for (const ring of rings) {
      for (let i = 1; i < ring.length; i++) {
        const [ax = 0, ay = 0] = ring[i - 1] as Position;
        const [bx = 0, by = 0] = ring[i] as Position;
        if (Math.abs(bx - ax) > 180 && !(Math.abs(ay) === 90 && Math.abs(by) === 90)) n++;
      }
    }
  }
  return n;
}

const byName = (name: string): Shape => {
  const s = shapes.find((f) => f.properties?.name === name);
  if (!s) throw new Error(`world-atlas has no ${name}`);
  return s;
};

describe('antimeridian', () => {
  it('world-atlas really has shapes stitched across the antimeridian (the streaks this fixes)', () => {
    const crossing = shapes.filter((f) => longSteps(f.geometry) > 0).map((f) => f.properties?.name);
    expect(crossing).toEqual(expect.arrayContaining(['Russia', 'Fiji', 'Antarctica']));
  });

  it('leaves no edge longer than 180° in any country', () => {
    for (const f of shapes)
      expect(longSteps(fixAntimeridian(f.geometry)), String(f.properties?.name)).toBe(0);
  });

  it('moves the far-east part of Russia past 180° instead of across the map', () => {
    const fixed = fixAntimeridian(byName('Russia').geometry);
    const lons = fixed.coordinates.flat(2).map((p) => p[0] ?? 0);
    expect(Math.max(...lons)).toBeGreaterThan(180);
    expect(Math.min(...lons)).toBeGreaterThanOrEqual(-180);
  });

  it('leaves shapes that never cross untouched', () => {
    const us = byName('United States of America');
    const fixed = fixAntimeridian(us.geometry);
    const original = us.geometry.type === 'Polygon' ? [us.geometry.coordinates] : us.geometry.coordinates;
    expect(fixed.coordinates).toEqual(original);
  });

  it('closes a ring around the pole along the pole, spanning one world', () => {
    const fixed = fixAntimeridian(byName('Antarctica').geometry);
    const band = fixed.coordinates.find((p) => (p[0] ?? []).some((q) => q[1] === -90));
    const lons = (band?.[0] ?? []).map((p) => p[0] ?? 0);
    expect(Math.min(...lons)).toBe(-180);
    expect(Math.max(...lons)).toBeCloseTo(180, 0);
  });

  it('unwrapRing counts the turns around a pole', () => {
    expect(
      unwrapRing([
        [170, 0],
        [-170, 0],
        [-170, 10],
        [170, 10],
        [170, 0],
      ]).wraps,
    ).toBe(0);
    const around = unwrapRing([
      [-180, -80],
      [-60, -80],
      [60, -80],
      [179, -80],
      [-180, -80],
    ]);
    expect(around.wraps).not.toBe(0);
  });

  it('shifts a shape by whole worlds', () => {
    const fixed = fixAntimeridian(byName('Japan').geometry);
    const shifted = shiftGeometry(fixed, -360);
    const a = fixed.coordinates.flat(2);
    const b = shifted.coordinates.flat(2);
    expect(b.map((p, i) => (p[0] ?? 0) - (a[i]?.[0] ?? 0))).toEqual(a.map(() => -360));
  });
});
