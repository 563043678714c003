import { describe, expect, it } from 'vitest';
import type { DetourDetail, MapHop } from '../../protocol/map-api.ts';
import { pathOf, summarise } from '../../protocol/map-path.ts';
import { distanceToSegment, nearLon, pathGeometry, worldShifts } from '../../web/src/path-geometry.ts';
import { hostileCountryLevel, laHangzhouDc, nyFrankfurtChicago } from './map-fixtures.ts';

const placed = (d: DetourDetail, status: MapHop['status']) => d.hops.filter((h) => h.status === status);

describe('pathOf', () => {
  it('keeps placed hops and refuted claims, in TTL order, and nothing unplaced', () => {
    const d = nyFrankfurtChicago(2, '2026-03-01T11:00:00.000Z');
    const path = pathOf(d.hops);
    expect(path.map((p) => p.ttl)).toEqual(
      d.hops.filter((h) => h.lat !== null || h.claimed).map((h) => h.ttl),
    );
    const refuted = placed(d, 'refuted')[0];
    const claim = path.find((p) => p.status === 'refuted');
    expect(claim).toMatchObject({
      ttl: refuted?.ttl,
      lat: refuted?.claimed?.lat,
      lon: refuted?.claimed?.lon,
    });
  });

  it('drops special, silent and unlocated hops', () => {
    const d = laHangzhouDc(1, '2026-03-01T10:00:00.000Z');
    const kept = new Set(pathOf(d.hops).map((p) => p.ttl));
    for (const h of d.hops) {
      if (h.status === 'special' || h.status === 'no-reply') expect(kept.has(h.ttl)).toBe(false);
    }
  });

  it('summarise leaves the hop table out and nothing else', () => {
    const d = laHangzhouDc(1, '2026-03-01T10:00:00.000Z');
    const s = summarise(d);
    expect(s).not.toHaveProperty('hops');
    expect({ ...s, hops: d.hops }).toEqual(d);
  });
});

describe('pathGeometry', () => {
  it('crosses the Pacific from Los Angeles to Hangzhou, not Europe', () => {
    const d = laHangzhouDc(1, '2026-03-01T10:00:00.000Z');
    const g = pathGeometry(d);
    const hangzhou = placed(d, 'foreign-confirmed')[0] as MapHop;
    const point = g.points.find((p) => p.ttl === hangzhou.ttl);
    expect(point?.lon).toBeCloseTo((hangzhou.lon as number) - 360, 9);
    for (let i = 1; i < g.points.length; i++) {
      expect(Math.abs((g.points[i]?.lon ?? 0) - (g.points[i - 1]?.lon ?? 0))).toBeLessThanOrEqual(180);
    }
    // Drawn here and one world east, so the hops also show over China on the main world.
    expect(worldShifts(g)).toEqual([0, 360]);
  });

  it('colours each leg by the stronger evidence of its ends', () => {
    const g = pathGeometry(laHangzhouDc(1, '2026-03-01T10:00:00.000Z'));
    for (const leg of g.legs) {
      const ends = [leg.from.evidence, leg.to.evidence];
      const expected = ends.includes('foreign-confirmed')
        ? 'foreign-confirmed'
        : ends.includes('foreign-probable')
          ? 'foreign-probable'
          : 'domestic';
      expect(leg.evidence).toBe(expected);
    }
    expect(g.legs.some((l) => l.evidence === 'foreign-confirmed')).toBe(true);
  });

  it('merges the source with a first hop at the same place', () => {
    const d = laHangzhouDc(1, '2026-03-01T10:00:00.000Z');
    const g = pathGeometry(d);
    const sameAsSource = d.path.filter((p) => p.lat === d.source.lat && p.lon === d.source.lon);
    expect(sameAsSource.length).toBeGreaterThan(0);
    expect(g.points.filter((p) => p.lat === d.source.lat).length).toBe(1);
  });

  it('marks a foreign country-level hop approximate and leaves out a home one', () => {
    const d = hostileCountryLevel(3, '2026-03-01T12:00:00.000Z');
    const g = pathGeometry(d);
    const foreign = d.hops.find(
      (h) => h.status === 'foreign-probable' && h.precision === 'country',
    ) as MapHop;
    const home = d.hops.find((h) => h.status === 'home' && h.precision === 'country') as MapHop;
    expect(g.points.find((p) => p.ttl === foreign.ttl)?.approximate).toBe(true);
    expect(g.points.some((p) => p.ttl === home.ttl)).toBe(false);
    expect(g.legs.filter((l) => l.approximate).length).toBe(2);
  });

  it('places refuted claims apart from the drawn path', () => {
    const d = nyFrankfurtChicago(2, '2026-03-01T11:00:00.000Z');
    const g = pathGeometry(d);
    const refuted = placed(d, 'refuted')[0] as MapHop;
    expect(g.claims.map((c) => c.ttl)).toEqual([refuted.ttl]);
    expect(g.points.some((p) => p.ttl === refuted.ttl)).toBe(false);
  });

  it('draws nothing for a detour with no placed point', () => {
    const d = laHangzhouDc(1, '2026-03-01T10:00:00.000Z');
    const g = pathGeometry({
      ...d,
      source: { ...d.source, lat: null, lon: null },
      destination: { ...d.destination, lat: null, lon: null },
      path: [],
    });
    expect(g.points).toEqual([]);
    expect(g.legs).toEqual([]);
    expect(worldShifts(g)).toEqual([0]);
  });
});

describe('helpers', () => {
  it.each([
    [120, -118, -240],
    [-77, -118, -77],
    [8.7, -118, 8.7],
    [-170, 170, 190],
  ])('nearLon(%d, near %d) = %d', (lon, ref, expected) => {
    expect(nearLon(lon, ref)).toBeCloseTo(expected, 9);
    expect(Math.abs(nearLon(lon, ref) - ref)).toBeLessThanOrEqual(180);
  });

  it('distanceToSegment measures to the nearest point of the segment', () => {
    const a = { x: 0, y: 0 };
    const b = { x: 10, y: 0 };
    expect(distanceToSegment({ x: 5, y: 3 }, a, b)).toBe(3);
    expect(distanceToSegment({ x: 13, y: 4 }, a, b)).toBe(5);
    expect(distanceToSegment({ x: 3, y: 4 }, a, a)).toBe(5);
  });
});
