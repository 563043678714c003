import L from 'leaflet';
import type { DetourDetail, DetourSummary, MapHop, RouteDrawing } from '../../protocol/map-api.ts';
import { type BulkLines, bulkLines } from './bulk-lines.ts';
import { formatAsn, formatHopLocation, formatRtt, STATUS_LABEL } from './format.ts';
import { worldX, worldY } from './mercator.ts';
import {
  type ClaimPoint,
  distanceToSegment,
  type Evidence,
  type PathPoint,
  pathGeometry,
  worldShifts,
} from './path-geometry.ts';
import { APPROXIMATE_DASH, EVIDENCE_ORDER, EVIDENCE_STYLE, REFUTED_STYLE } from './path-style.ts';
import { escapeHtml, h } from './safe-dom.ts';

/**
 * Draws every route on one canvas: detours that took the same route (MapRoute in protocol/map-api.ts) are
 * one route, and a leg several routes share is stroked once, as wide as all their traces (at 50,000 routes,
 * stroking each route's own copy of a shared leg was most of a redraw; the page says so). Legs are grouped by
 * look (evidence x precision) into six bulk layers (bulk-lines.ts), foreign hops share one marker per place,
 * and a click or hover is matched to a route here (nearest leg on screen, over typed arrays in world units)
 * instead of by Leaflet's per-layer hit testing. The selected path is drawn again, wide, in its own pane with
 * a marker and tooltip per hop. `addRoute` draws a live detour's legs onto the canvas without a full redraw.
 */

/** How close (px) a click must land to a leg to select its path. */
const PICK_TOLERANCE_PX = 8;

type StyleKey = `${Evidence}|${'exact' | 'approx'}`;
const styleKey = (evidence: Evidence, approximate: boolean): StyleKey =>
  `${evidence}|${approximate ? 'approx' : 'exact'}`;

/** A route's line width: the look's own for one trace, growing with the logarithm of the count. */
export function routeWeight(base: number, count: number): number {
  return Math.min(base + 1.6 * Math.log2(Math.max(1, count)), base + 8);
}

export interface PathLayerStats {
  /** Detours on the map: each route counts its traces. */
  paths: number;
  /** Distinct routes drawn. */
  routes: number;
  /** Distinct legs stroked (a leg several routes share is one), counting world copies. */
  legs: number;
  /** Legs of all routes, shared ones once per route. */
  routeLegs: number;
  foreignMarkers: number;
  claimMarkers: number;
}

/** What the layer draws per route: the route's key, its newest detour and how many traces took it. */
export interface RouteInput {
  key: string;
  latest: RouteDrawing;
  count: number;
}

interface DrawnLeg {
  style: StyleKey;
  index: number;
  count: number;
}

interface DrawnRoute {
  key: string;
  id: number;
  count: number;
  /** What its hover label names (made on hover: 50,000 labels up front cost half a second). */
  latest: RouteDrawing;
  legs: DrawnLeg[];
}

/** Legs of one look keyed by their ends (~10 m), either direction. */
const legKey = (a: readonly [number, number], b: readonly [number, number]): string => {
  const ka = `${a[0].toFixed(4)},${a[1].toFixed(4)}`;
  const kb = `${b[0].toFixed(4)},${b[1].toFixed(4)}`;
  return ka < kb ? `${ka} ${kb}` : `${kb} ${ka}`;
};

export class PathLayer {
  private readonly routes = new Map<string, DrawnRoute>();
  /** Routes by the id of the detour drawn for them (what a pick answers). */
  private readonly byId = new Map<number, DrawnRoute>();
  private readonly legsByKey = new Map<StyleKey, Map<string, DrawnLeg>>();
  private readonly lines = new Map<StyleKey, BulkLines>();
  /** Every route's legs for picking: x0, y0, x1, y1 in world units, and the route's ordinal. */
  private pickXY = new Float64Array(4096);
  private pickRoute = new Int32Array(1024);
  private pickCount = 0;
  private readonly pickRoutes: DrawnRoute[] = [];
  private readonly markers: L.LayerGroup;
  private readonly markerKeys = new Set<string>();
  private readonly claims: L.LayerGroup;
  private readonly claimKeys = new Set<string>();
  private readonly selected: L.LayerGroup;
  private readonly renderer: L.Canvas;
  private readonly selectedRenderer: L.Canvas;
  private showRefuted = false;
  private selectedDetour: DetourDetail | null = null;

  constructor(
    private readonly map: L.Map,
    onPick: (id: number) => void,
  ) {
    const renderer = L.canvas();
    this.renderer = renderer;
    const selectedPane = map.createPane('selected');
    selectedPane.style.zIndex = '450';
    this.selectedRenderer = L.canvas({ pane: 'selected' });
    for (const evidence of EVIDENCE_ORDER) {
      for (const approximate of [false, true]) {
        const style = EVIDENCE_STYLE[evidence];
        const line = bulkLines({
          renderer,
          color: style.color,
          weight: style.weight,
          opacity: style.opacity,
          dashArray: approximate ? APPROXIMATE_DASH : undefined,
          className: 'dw-paths',
        });
        line.addTo(map);
        this.lines.set(styleKey(evidence, approximate), line);
        this.legsByKey.set(styleKey(evidence, approximate), new Map());
      }
    }
    this.markers = L.layerGroup().addTo(map);
    this.claims = L.layerGroup();
    this.selected = L.layerGroup().addTo(map);
    map.on('click', (e: L.LeafletMouseEvent) => {
      const id = this.pick(e.containerPoint);
      if (id !== null) onPick(id);
    });
    this.followHover();
  }

  /**
   * Hovering a route says how many traces took it (one pick per frame at most). Not while a path is
   * selected (its hops have tooltips of their own), nor while the map is dragged or zoomed.
   */
  private followHover(): void {
    const map = this.map;
    const tip = L.tooltip({ direction: 'top', offset: [0, -6], className: 'dw-route-tip' });
    let last: L.LeafletMouseEvent | null = null;
    let queued = false;
    const hide = (): void => {
      if (map.hasLayer(tip)) map.closeTooltip(tip);
      map.getContainer().classList.remove('over-route');
    };
    const busy = (): boolean =>
      (map.dragging as L.Handler & { moving?: () => boolean }).moving?.() === true ||
      (map as unknown as { _animatingZoom?: boolean })._animatingZoom === true;
    map.on('mousemove', (e: L.LeafletMouseEvent) => {
      last = e;
      if (queued) return;
      queued = true;
      requestAnimationFrame(() => {
        queued = false;
        const at = last;
        if (busy()) {
          hide();
          return;
        }
        const id = at && !this.selectedDetour ? this.pick(at.containerPoint) : null;
        if (!at || id === null) {
          hide();
          return;
        }
        const route = this.byId.get(id);
        tip.setLatLng(at.latlng).setContent(route ? routeLabel(route.latest, route.count) : '');
        if (!map.hasLayer(tip)) tip.addTo(map);
        map.getContainer().classList.add('over-route');
      });
    });
    map.on('mouseout', hide);
  }

  /** Replaces every drawn path: one per route, the route's newest detour, as wide as its count. */
  setRoutes(routes: readonly RouteInput[]): void {
    this.routes.clear();
    this.byId.clear();
    for (const legs of this.legsByKey.values()) legs.clear();
    for (const line of this.lines.values()) line.clear();
    this.pickCount = 0;
    this.pickRoutes.length = 0;
    this.markers.clearLayers();
    this.markerKeys.clear();
    this.claims.clearLayers();
    this.claimKeys.clear();
    for (const r of routes) this.addGeometry(r);
    for (const line of this.lines.values()) line.redraw();
  }

  /** Traces on the route drawn for this detour id (0 when none is). */
  countOf(id: number): number {
    return this.byId.get(id)?.count ?? 0;
  }

  /**
   * Adds a route (a detour that arrived live) or sets a known route's count, drawing only its legs onto the
   * canvas as it is: no full redraw (the next pan or zoom redraws everything in order).
   */
  addRoute(route: RouteInput): void {
    const known = this.routes.get(route.key);
    const touched: DrawnLeg[] = [];
    if (known) {
      const delta = route.count - known.count;
      this.byId.delete(known.id);
      known.id = route.latest.id;
      known.count = route.count;
      known.latest = route.latest;
      this.byId.set(known.id, known);
      for (const leg of known.legs) {
        leg.count += delta;
        touched.push(leg);
      }
    } else {
      touched.push(...this.addGeometry(route));
    }
    const byStyle = new Map<StyleKey, number[]>();
    for (const leg of touched) {
      const base = EVIDENCE_STYLE[leg.style.split('|')[0] as Evidence].weight;
      this.lines.get(leg.style)?.setWeight(leg.index, routeWeight(base, leg.count));
      const list = byStyle.get(leg.style);
      if (list) list.push(leg.index);
      else byStyle.set(leg.style, [leg.index]);
    }
    for (const [style, legs] of byStyle) this.lines.get(style)?.drawNow(legs);
  }
  setSelected(d: DetourDetail | null): void {
    this.selectedDetour = d;
    this.drawSelected();
  }

  setShowRefuted(show: boolean): void {
    this.showRefuted = show;
    if (show) this.claims.addTo(this.map);
    else this.claims.remove();
    this.drawSelected();
  }

  /** The bounds of a path's points (for zooming to a selection), null when nothing of it is placed. */
  boundsOf(d: DetourSummary): L.LatLngBounds | null {
    const g = pathGeometry(d);
    const pts = [...g.points, ...(this.showRefuted ? g.claims : [])];
    return pts.length > 0 ? L.latLngBounds(pts.map((p) => [p.lat, p.lon])) : null;
  }

  stats(): PathLayerStats {
    let paths = 0;
    let routeLegs = 0;
    for (const r of this.routes.values()) {
      paths += r.count;
      routeLegs += r.legs.length;
    }
    let legs = 0;
    for (const line of this.lines.values()) legs += line.legCount();
    return {
      paths,
      routes: this.routes.size,
      legs,
      routeLegs,
      foreignMarkers: this.markerKeys.size,
      claimMarkers: this.claimKeys.size,
    };
  }

  /** The path whose leg is nearest to a point on screen, within the tolerance (the busier route on a shared leg). */
  pick(at: L.Point): number | null {
    const map = this.map;
    if (this.selectedDetour) {
      const g = pathGeometry(this.selectedDetour);
      for (const shift of worldShifts(g)) {
        for (const leg of g.legs) {
          const a = map.latLngToContainerPoint([leg.from.lat, leg.from.lon + shift]);
          const b = map.latLngToContainerPoint([leg.to.lat, leg.to.lon + shift]);
          if (distanceToSegment(at, a, b) < PICK_TOLERANCE_PX) return g.id;
        }
      }
    }
    const scale = map.options.crs?.scale(map.getZoom()) ?? 256;
    const pixel = map.containerPointToLayerPoint(at).add(map.getPixelOrigin());
    const p = { x: pixel.x / scale, y: pixel.y / scale };
    const tolerance = PICK_TOLERANCE_PX / scale;
    const xy = this.pickXY;
    let best: DrawnRoute | null = null;
    let bestDistance = tolerance;
    for (let i = 0; i < this.pickCount; i++) {
      const x0 = xy[4 * i] as number;
      const y0 = xy[4 * i + 1] as number;
      const x1 = xy[4 * i + 2] as number;
      const y1 = xy[4 * i + 3] as number;
      if ((p.x < x0 - tolerance && p.x < x1 - tolerance) || (p.x > x0 + tolerance && p.x > x1 + tolerance))
        continue;
      if ((p.y < y0 - tolerance && p.y < y1 - tolerance) || (p.y > y0 + tolerance && p.y > y1 + tolerance))
        continue;
      const distance = distanceToSegment(p, { x: x0, y: y0 }, { x: x1, y: y1 });
      const route = this.pickRoutes[this.pickRoute[i] as number] as DrawnRoute;
      if (
        distance < bestDistance ||
        (distance === bestDistance && best !== null && route.count > best.count)
      ) {
        bestDistance = distance;
        best = route;
      }
    }
    return best?.id ?? null;
  }

  /** Adds a route's legs (merged with the same legs of other routes) and markers; returns the legs it touched. */
  private addGeometry(r: RouteInput): DrawnLeg[] {
    const g = pathGeometry(r.latest);
    const route: DrawnRoute = {
      key: r.key,
      id: r.latest.id,
      count: r.count,
      latest: r.latest,
      legs: [],
    };
    this.routes.set(r.key, route);
    this.byId.set(route.id, route);
    const ordinal = this.pickRoutes.length;
    this.pickRoutes.push(route);
    for (const shift of worldShifts(g)) {
      for (const leg of g.legs) {
        const style = styleKey(leg.evidence, leg.approximate);
        const from = [leg.from.lat, leg.from.lon + shift] as const;
        const to = [leg.to.lat, leg.to.lon + shift] as const;
        const key = legKey(from, to);
        const legs = this.legsByKey.get(style) as Map<string, DrawnLeg>;
        let drawn = legs.get(key);
        const base = EVIDENCE_STYLE[leg.evidence].weight;
        if (drawn) {
          drawn.count += r.count;
          this.lines.get(style)?.setWeight(drawn.index, routeWeight(base, drawn.count));
        } else {
          const index = this.lines.get(style)?.addLeg(from, to, routeWeight(base, r.count)) ?? -1;
          drawn = { style, index, count: r.count };
          legs.set(key, drawn);
        }
        route.legs.push(drawn);
        this.addPickLeg(from, to, ordinal);
      }
      for (const p of g.points) {
        if (p.evidence !== 'domestic') this.addForeignMarker(p, shift);
      }
      for (const c of g.claims) this.addClaimMarker(c, shift);
    }
    return route.legs;
  }

  private addPickLeg(from: readonly [number, number], to: readonly [number, number], ordinal: number): void {
    const i = this.pickCount++;
    if (this.pickXY.length < 4 * this.pickCount) {
      const xy = new Float64Array(this.pickXY.length * 2);
      xy.set(this.pickXY);
      this.pickXY = xy;
      const ids = new Int32Array(this.pickRoute.length * 2);
      ids.set(this.pickRoute);
      this.pickRoute = ids;
    }
    this.pickXY.set([worldX(from[1]), worldY(from[0]), worldX(to[1]), worldY(to[0])], 4 * i);
    this.pickRoute[i] = ordinal;
  }

  /** One marker per place and look: routers of a city share its database coordinates (keys round to ~1 km). */
  private addForeignMarker(p: PathPoint, shift: number): void {
    const key = `${p.lat.toFixed(2)},${(p.lon + shift).toFixed(2)},${p.evidence},${p.approximate}`;
    if (this.markerKeys.has(key)) return;
    this.markerKeys.add(key);
    this.markers.addLayer(pointMarker(p, shift, this.renderer, 3, false));
  }

  private addClaimMarker(c: ClaimPoint, shift: number): void {
    const key = `${c.lat.toFixed(2)},${(c.lon + shift).toFixed(2)}`;
    if (this.claimKeys.has(key)) return;
    this.claimKeys.add(key);
    this.claims.addLayer(claimMarker(c, shift, this.renderer, 4, false));
  }

  private drawSelected(): void {
    this.selected.clearLayers();
    const d = this.selectedDetour;
    if (!d) return;
    const g = pathGeometry(d);
    const renderer = this.selectedRenderer;
    const hopAt = (ttl: number | null): MapHop | null => d.hops.find((hop) => hop.ttl === ttl) ?? null;
    for (const shift of worldShifts(g)) {
      for (const leg of g.legs) {
        const latlngs: L.LatLngExpression[] = [
          [leg.from.lat, leg.from.lon + shift],
          [leg.to.lat, leg.to.lon + shift],
        ];
        // A white casing keeps the selected path legible over the thousands beneath it.
        L.polyline(latlngs, {
          renderer,
          interactive: false,
          color: '#ffffff',
          weight: 7,
          opacity: 0.9,
        }).addTo(this.selected);
        L.polyline(latlngs, {
          renderer,
          interactive: false,
          color: EVIDENCE_STYLE[leg.evidence].color,
          weight: 3.5,
          opacity: 1,
          dashArray: leg.approximate ? '8 6' : undefined,
        }).addTo(this.selected);
      }
      for (const p of g.points) {
        const marker = pointMarker(p, shift, renderer, 6, true);
        marker.bindTooltip(pointTooltip(p, hopAt(p.ttl)), { direction: 'top', offset: [0, -6] });
        this.selected.addLayer(marker);
      }
      if (!this.showRefuted) continue;
      for (const c of g.claims) {
        const marker = claimMarker(c, shift, renderer, 7, true);
        marker.bindTooltip(claimTooltip(hopAt(c.ttl)), { direction: 'top' });
        this.selected.addLayer(marker);
      }
    }
  }
}

/** "37 traces on this route via CN · click to list them": text for a Leaflet tooltip (escaped). */
function routeLabel(d: RouteDrawing, count: number): string {
  const via = d.countries.filter((c) => c !== d.source.country);
  const what =
    count === 1
      ? `1 trace on this route${via.length > 0 ? ` via ${via.join(', ')}` : ''} · click for its hops`
      : `${count.toLocaleString('en-US')} traces on this route${via.length > 0 ? ` via ${via.join(', ')}` : ''} · click to list them`;
  return escapeHtml(what);
}

/** A hop or endpoint marker: filled when the place is known, hollow when only the country is. */
/** Markers of the selected path answer the mouse (tooltips); the thousands of others do not. */
function pointMarker(
  p: PathPoint,
  shift: number,
  renderer: L.Canvas,
  radius: number,
  interactive: boolean,
): L.CircleMarker {
  const color = EVIDENCE_STYLE[p.evidence].color;
  const endpoint = p.role !== 'hop';
  return L.circleMarker([p.lat, p.lon + shift], {
    renderer,
    interactive,
    radius: endpoint ? radius + 1 : radius,
    color: endpoint ? '#1d2733' : color,
    weight: p.approximate ? 2 : 1.5,
    fillColor: p.approximate ? '#ffffff' : color,
    fillOpacity: 1,
    dashArray: p.approximate ? '3 3' : undefined,
  });
}

function claimMarker(
  c: ClaimPoint,
  shift: number,
  renderer: L.Canvas,
  radius: number,
  interactive: boolean,
): L.CircleMarker {
  return L.circleMarker([c.lat, c.lon + shift], {
    renderer,
    interactive,
    radius,
    color: REFUTED_STYLE.color,
    weight: 2,
    dashArray: '2 3',
    fillColor: REFUTED_STYLE.color,
    fillOpacity: 0.15,
  });
}

function pointTooltip(p: PathPoint, hop: MapHop | null): HTMLElement {
  if (!hop)
    return h(
      'div',
      { className: 'dw-tip' },
      h('strong', null, p.role === 'source' ? 'Source' : 'Destination'),
    );
  return h(
    'div',
    { className: 'dw-tip' },
    h('strong', null, `TTL ${hop.ttl} ${hop.ip ?? ''}`),
    hop.name ? h('div', null, hop.name) : null,
    h('div', null, `${formatAsn(hop.asn)} ${hop.org ?? ''}`),
    h('div', null, `${formatHopLocation(hop)} · ${STATUS_LABEL[hop.status]}`),
    h('div', null, `RTT ${formatRtt(hop.rttMs)} (needs ${formatRtt(hop.minRttMs)})`),
  );
}

function claimTooltip(hop: MapHop | null): HTMLElement {
  return h(
    'div',
    { className: 'dw-tip' },
    h('strong', null, `TTL ${hop?.ttl ?? '?'} ${hop?.ip ?? ''}`),
    h('div', null, `The database says ${hop?.claimed?.country ?? hop?.country ?? '?'}; the RTT says no`),
    h(
      'div',
      null,
      `RTT ${formatRtt(hop?.rttMs ?? null)}, the claim needs ${formatRtt(hop?.minRttMs ?? null)}`,
    ),
  );
}
