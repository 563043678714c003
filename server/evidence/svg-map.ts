/**
 * The report's static map (pure): an equirectangular projection of a window onto the world, fitted around
 * the paths, and the SVG that draws the land, the paths and their hops. Longitudes along a path are unwrapped
 * so each leg takes the short way (Los Angeles -> Shanghai crosses the Pacific, not Europe); the window may
 * then reach past +-180 degrees, and the land is drawn again one world east or west to fill it.
 */

export type LonLat = readonly [number, number];

/** A land ring in unwrapped longitudes, with its bounds. */
export interface Ring {
  points: readonly LonLat[];
  west: number;
  east: number;
  south: number;
  north: number;
}

/** The window: its north-west corner and size in degrees, and the picture's size in pixels. */
export interface MapView {
  west: number;
  north: number;
  spanLon: number;
  spanLat: number;
  width: number;
  height: number;
}

export const WORLD: Omit<MapView, 'width' | 'height'> = { west: -180, north: 90, spanLon: 360, spanLat: 180 };

/** Pixels of a point in the view: x grows east, y grows south. */
export function project(view: MapView, [lon, lat]: LonLat): [number, number] {
  return [((lon - view.west) / view.spanLon) * view.width, ((view.north - lat) / view.spanLat) * view.height];
}

/** The path's longitudes moved by whole turns so no leg spans more than 180 degrees; the first stays put. */
export function unwrapLine(points: readonly LonLat[]): LonLat[] {
  const out: LonLat[] = [];
  let prev: number | null = null;
  for (const [lon, lat] of points) {
    let at = lon;
    if (prev !== null) {
      while (at - prev > 180) at -= 360;
      while (at - prev < -180) at += 360;
    }
    out.push([at, lat]);
    prev = at;
  }
  return out;
}

const MIN_SPAN_LON = 40;
const PAD = 0.12;

/**
 * The window around every point (already unwrapped), padded, at least MIN_SPAN_LON degrees wide, with the
 * picture's aspect (width / height) and within the poles. No point: the whole world.
 */
export function fitView(lines: readonly (readonly LonLat[])[], width = 960, aspect = 2): MapView {
  const height = Math.round(width / aspect);
  const points = lines.flat();
  if (points.length === 0) return { ...WORLD, spanLat: 360 / aspect, north: 180 / aspect, width, height };
  const lons = points.map((p) => p[0]);
  const lats = points.map((p) => p[1]);
  const [west, east] = [Math.min(...lons), Math.max(...lons)];
  const [south, north] = [Math.min(...lats), Math.max(...lats)];
  let spanLon = Math.max(MIN_SPAN_LON, (east - west) * (1 + 2 * PAD));
  let spanLat = Math.max(spanLon / aspect, (north - south) * (1 + 2 * PAD));
  spanLon = spanLat * aspect;
  if (spanLat > 180) {
    spanLat = 180;
    spanLon = 180 * aspect;
  }
  const midLon = (west + east) / 2;
  const midLat = (south + north) / 2;
  // Keep the window between the poles: slide it rather than show what is beyond them.
  const top = Math.min(90, Math.max(-90 + spanLat, midLat + spanLat / 2));
  return { west: midLon - spanLon / 2, north: top, spanLon, spanLat, width, height };
}

const px = (n: number): string => String(Math.round(n * 10) / 10);

/**
 * The land as one SVG path: every ring, and its copies one world east and west, that meets the window;
 * points closer than `tolerancePx` to the last one kept are left out (the outline stays small).
 */
export function outlinePath(view: MapView, rings: readonly Ring[], tolerancePx = 1.2): string {
  const east = view.west + view.spanLon;
  const south = view.north - view.spanLat;
  const parts: string[] = [];
  for (const ring of rings) {
    for (const shift of [-360, 0, 360]) {
      if (ring.east + shift < view.west || ring.west + shift > east) continue;
      if (ring.north < south || ring.south > view.north) continue;
      const kept: [number, number][] = [];
      for (const [lon, lat] of ring.points) {
        const p = project(view, [lon + shift, lat]);
        const last = kept.at(-1);
        if (last && Math.abs(p[0] - last[0]) < tolerancePx && Math.abs(p[1] - last[1]) < tolerancePx)
          continue;
        kept.push(p);
      }
      if (kept.length < 3) continue;
      parts.push(`M${kept.map(([x, y]) => `${px(x)} ${px(y)}`).join('L')}Z`);
    }
  }
  return parts.join('');
}

/** How a point of a path is drawn. */
export type PointKind = 'source' | 'home' | 'foreign-confirmed' | 'foreign-probable';

export interface DrawnPoint {
  lon: number;
  lat: number;
  kind: PointKind;
  /** Country-level placements are centroids: hollow, with dashed legs, never mistaken for a city. */
  approximate: boolean;
  /** Shown on hover: untrusted text, escaped here. */
  label: string;
}

export interface DrawnRoute {
  points: DrawnPoint[];
  /** Database claims physics threw out: drawn apart, never joined to the path. */
  refuted: DrawnPoint[];
  /** How many traces took this route. */
  count: number;
  label: string;
}

export const KIND_COLOURS: Record<PointKind | 'refuted', string> = {
  source: '#111827',
  home: '#2563eb',
  'foreign-confirmed': '#dc2626',
  'foreign-probable': '#ea580c',
  refuted: '#6b7280',
};

/** A leg shows the strongest evidence of its two ends: a leg to or from a confirmed foreign hop is red. */
function legColour(a: DrawnPoint, b: DrawnPoint): string {
  for (const kind of ['foreign-confirmed', 'foreign-probable'] as const) {
    if (a.kind === kind || b.kind === kind) return KIND_COLOURS[kind];
  }
  return KIND_COLOURS.home;
}

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function marker(view: MapView, p: DrawnPoint, lon: number): string {
  const [x, y] = project(view, [lon, p.lat]);
  const colour = KIND_COLOURS[p.kind];
  const title = `<title>${escapeXml(p.label)}</title>`;
  if (p.kind === 'source') {
    return `<rect x="${px(x - 4)}" y="${px(y - 4)}" width="8" height="8" fill="${colour}">${title}</rect>`;
  }
  const fill = p.approximate ? 'white' : colour;
  return `<circle cx="${px(x)}" cy="${px(y)}" r="4" fill="${fill}" stroke="${colour}" stroke-width="1.5">${title}</circle>`;
}

function refutedMarker(view: MapView, p: DrawnPoint, lon: number): string {
  const [x, y] = project(view, [lon, p.lat]);
  const d = `M${px(x - 4)} ${px(y - 4)}L${px(x + 4)} ${px(y + 4)}M${px(x - 4)} ${px(y + 4)}L${px(x + 4)} ${px(y - 4)}`;
  return `<path d="${d}" stroke="${KIND_COLOURS.refuted}" stroke-width="2"><title>${escapeXml(p.label)}</title></path>`;
}

/** The routes' longitudes as drawn: each route unwrapped, then moved by whole turns to start in -180..180. */
export function drawnLons(route: DrawnRoute): { path: number[]; refuted: number[] } {
  const line = unwrapLine(route.points.map((p) => [p.lon, p.lat] as const));
  const first = line[0]?.[0] ?? 0;
  const turn = first > 180 ? -360 : first < -180 ? 360 : 0;
  const path = line.map((p) => p[0] + turn);
  // A refuted claim is drawn on the side of the world nearest the path's start.
  const near = path[0] ?? 0;
  const refuted = route.refuted.map(
    (p) =>
      unwrapLine([
        [near, 0],
        [p.lon, p.lat],
      ])[1]?.[0] ?? p.lon,
  );
  return { path, refuted };
}

/** The points a view must hold to show these routes (for fitView). */
export function routeExtent(routes: readonly DrawnRoute[]): LonLat[][] {
  return routes.map((r) => {
    const { path, refuted } = drawnLons(r);
    return [
      ...r.points.map((p, i): LonLat => [path[i] ?? p.lon, p.lat]),
      ...r.refuted.map((p, i): LonLat => [refuted[i] ?? p.lon, p.lat]),
    ];
  });
}

/** The whole map as one inline SVG element: no script, no external reference. */
export function mapSvg(view: MapView, rings: readonly Ring[], routes: readonly DrawnRoute[]): string {
  const legs: string[] = [];
  const markers: string[] = [];
  const most = Math.max(1, ...routes.map((r) => r.count));
  for (const route of routes) {
    const { path, refuted } = drawnLons(route);
    const width = 1.5 + 3 * (Math.log(route.count) / Math.log(most + 1));
    route.points.forEach((p, i) => {
      const next = route.points[i + 1];
      const lonA = path[i] ?? p.lon;
      const lonB = path[i + 1];
      if (next !== undefined && lonB !== undefined) {
        const [x1, y1] = project(view, [lonA, p.lat]);
        const [x2, y2] = project(view, [lonB, next.lat]);
        const dash = p.approximate || next.approximate ? ' stroke-dasharray="6 4"' : '';
        legs.push(
          `<line x1="${px(x1)}" y1="${px(y1)}" x2="${px(x2)}" y2="${px(y2)}" stroke="${legColour(p, next)}" stroke-width="${px(width)}" stroke-linecap="round"${dash}><title>${escapeXml(route.label)}</title></line>`,
        );
      }
      markers.push(marker(view, p, lonA));
    });
    route.refuted.forEach((p, i) => {
      markers.push(refutedMarker(view, p, refuted[i] ?? p.lon));
    });
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${view.width} ${view.height}" width="${view.width}" height="${view.height}" role="img" aria-label="Map of the traced paths">`,
    `<rect width="${view.width}" height="${view.height}" fill="#dbeafe"/>`,
    `<path d="${outlinePath(view, rings)}" fill="#f3f4f6" stroke="#9ca3af" stroke-width="0.6" fill-rule="evenodd"/>`,
    ...legs,
    ...markers,
    '</svg>',
  ].join('\n');
}
