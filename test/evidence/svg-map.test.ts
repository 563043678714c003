import { describe, expect, it } from 'vitest';
import {
  type DrawnRoute,
  fitView,
  type LonLat,
  type MapView,
  mapSvg,
  outlinePath,
  project,
  type Ring,
  routeExtent,
  unwrapLine,
} from '../../server/evidence/svg-map.ts';
import { worldRings } from '../../server/evidence/world-outline.ts';

const WORLD_VIEW: MapView = { west: -180, north: 90, spanLon: 360, spanLat: 180, width: 960, height: 480 };
const WEST_COAST: MapView = { west: -130, north: 50, spanLon: 40, spanLat: 20, width: 400, height: 200 };

const SF: LonLat = [-122.42, 37.77];
const SHANGHAI: LonLat = [121.47, 31.23];
const WASHINGTON: LonLat = [-77.04, 38.91];

describe('the equirectangular projection', () => {
  it.each([
    ['the north-west corner', WORLD_VIEW, [-180, 90], [0, 0]],
    ['the south-east corner', WORLD_VIEW, [180, -90], [960, 480]],
    ['null island, the centre', WORLD_VIEW, [0, 0], [480, 240]],
    // (180 - 122.42) / 360 x 960 and (90 - 37.77) / 180 x 480
    ['San Francisco on the world', WORLD_VIEW, SF, [153.5467, 139.28]],
    ['the middle of a zoomed window', WEST_COAST, [-110, 40], [200, 100]],
    ['a zoomed window: 10 px per degree', WEST_COAST, [-122.5, 37.5], [75, 125]],
    // A window reaching past 180 degrees east: 190 degrees is 10 degrees past the antimeridian.
    ['past the antimeridian', { ...WEST_COAST, west: 170 }, [190, 40], [200, 100]],
  ] as const)('%s', (_what, view, point, [x, y]) => {
    const [px, py] = project(view, point);
    expect(px).toBeCloseTo(x, 3);
    expect(py).toBeCloseTo(y, 3);
  });
});

describe('paths take the short way', () => {
  it.each([
    ['San Francisco -> Washington stays as it is', [SF, WASHINGTON], [-122.42, -77.04]],
    ['San Francisco -> Shanghai goes west across the Pacific', [SF, SHANGHAI], [-122.42, -238.53]],
    ['Shanghai -> Washington goes east across the Pacific', [SHANGHAI, WASHINGTON], [121.47, 282.96]],
    [
      'San Francisco -> Shanghai -> Washington: there and back across the Pacific',
      [SF, SHANGHAI, WASHINGTON],
      [-122.42, -238.53, -77.04],
    ],
    [
      'a leg of exactly 180 degrees is left alone',
      [
        [-90, 0],
        [90, 0],
      ],
      [-90, 90],
    ],
  ] as const)('%s', (_what, points, lons) => {
    const out = unwrapLine(points);
    expect(out.map((p) => p[0])).toEqual(lons.map((l) => expect.closeTo(l, 6)));
    expect(out.map((p) => p[1])).toEqual(points.map((p) => p[1]));
  });
});

describe('the window', () => {
  it('is the whole world without a point', () => {
    expect(fitView([], 960)).toEqual(WORLD_VIEW);
  });

  it.each([
    ['one point', [[SF]]],
    ['a domestic path', [[SF, WASHINGTON]]],
    ['a path across the Pacific', [unwrapLine([SF, SHANGHAI, WASHINGTON])]],
    ['a point near the pole', [[[10, 86] as LonLat]]],
  ] as const)('holds every point of %s, at 2:1 and between the poles', (_what, lines) => {
    const view = fitView(lines, 800);
    expect(view.width).toBe(800);
    expect(view.height).toBe(400);
    expect(view.spanLon / view.spanLat).toBeCloseTo(2, 9);
    expect(view.spanLon).toBeGreaterThanOrEqual(40);
    expect(view.north).toBeLessThanOrEqual(90);
    expect(view.north - view.spanLat).toBeGreaterThanOrEqual(-90);
    for (const p of lines.flat()) {
      const [x, y] = project(view, p);
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(800);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(y).toBeLessThanOrEqual(400);
    }
  });
});

const square = (west: number, south: number, size: number): Ring => ({
  points: [
    [west, south],
    [west + size, south],
    [west + size, south + size],
    [west, south + size],
  ],
  west,
  east: west + size,
  south,
  north: south + size,
});

describe('the land outline', () => {
  it.each([
    ['a ring inside the window', [square(-120, 35, 5)], 'M100 150L150 150L150 100L100 100Z'],
    ['a ring outside it', [square(0, 0, 5)], ''],
    // A ring east of 180 degrees (Chukotka unwrapped) is drawn again one world west, where the window is.
    ['a ring one world over', [square(-120 + 360, 35, 5)], 'M100 150L150 150L150 100L100 100Z'],
    // Points within 1.2 px of the last one kept are left out.
    [
      'points closer than the tolerance',
      [
        {
          ...square(-120, 35, 5),
          points: [
            [-120, 35],
            [-119.95, 35],
            [-115, 35],
            [-115, 40],
            [-120, 40],
          ] as LonLat[],
        },
      ],
      'M100 150L150 150L150 100L100 100Z',
    ],
  ] as const)('%s', (_what, rings, d) => {
    expect(outlinePath(WEST_COAST, rings)).toBe(d);
  });

  it('draws the world from world-atlas in a few tens of kilobytes', () => {
    const d = outlinePath(WORLD_VIEW, worldRings());
    expect(d.length).toBeGreaterThan(10_000);
    expect(d.length).toBeLessThan(80_000);
    // Unwrapped and drawn once per world: no edge jumps across the map (the antimeridian streak), but for
    // Antarctica's closing edge along the bottom (the south pole).
    for (const part of d.split('M').slice(1)) {
      const points = part
        .replace('Z', '')
        .split('L')
        .map((p) => p.split(' ').map(Number) as [number, number]);
      points.forEach(([x, y], i) => {
        const [px, py] = points[i - 1] ?? [x, y];
        if (y === 480 && py === 480) return;
        expect(Math.abs(x - px), `edge ${px},${py} -> ${x},${y}`).toBeLessThan(480);
      });
    }
  });
});

describe('the map', () => {
  const route: DrawnRoute = {
    points: [
      {
        lon: SF[0],
        lat: SF[1],
        kind: 'source',
        approximate: false,
        label: 'prober <script>alert(1)</script>',
      },
      {
        lon: SHANGHAI[0],
        lat: SHANGHAI[1],
        kind: 'foreign-confirmed',
        approximate: false,
        label: 'TTL 2 "CN" & more',
      },
      { lon: WASHINGTON[0], lat: WASHINGTON[1], kind: 'home', approximate: true, label: 'TTL 4' },
    ],
    refuted: [],
    count: 3,
    label: '3 trace(s)',
  };

  it('draws each leg in the window, across the Pacific, with hostile text escaped', () => {
    const view = fitView(routeExtent([route]), 960);
    const svg = mapSvg(view, [], [route]);
    expect(svg).not.toContain('<script');
    expect(svg).toContain('&lt;script&gt;');
    expect(svg).toContain('&quot;CN&quot; &amp; more');
    const lines = [...svg.matchAll(/<line x1="([\d.-]+)" y1="[\d.-]+" x2="([\d.-]+)"/g)].map((m) => [
      Number(m[1]),
      Number(m[2]),
    ]);
    expect(lines).toHaveLength(2);
    // West across the Pacific to Shanghai, then east across it again to Washington, inside the picture.
    const [out, back] = lines as [[number, number], [number, number]];
    expect(out[1]).toBeLessThan(out[0]);
    expect(back[1]).toBeGreaterThan(back[0]);
    for (const x of [...out, ...back]) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(960);
    }
    // The country-level end is hollow and its leg dashed.
    expect(svg).toMatch(/<circle [^>]*fill="white"/);
    expect(svg).toMatch(/stroke-dasharray/);
  });
});
