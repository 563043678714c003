import L from 'leaflet';
import type { DetourDetail, DetourSummary, MapHop } from '../../protocol/map-api.ts';
import { type BulkLines, bulkLines } from './bulk-lines.ts';
import { formatAsn, formatHopLocation, formatRtt, STATUS_LABEL } from './format.ts';
import {
  type ClaimPoint,
  distanceToSegment,
  type Evidence,
  type PathGeometry,
  type PathPoint,
  pathGeometry,
  worldShifts,
} from './path-geometry.ts';
import { APPROXIMATE_DASH, EVIDENCE_ORDER, EVIDENCE_STYLE, REFUTED_STYLE } from './path-style.ts';
import { escapeHtml, h } from './safe-dom.ts';

/**
 * Draws every route on one canvas: detours that took the same route (MapRoute in protocol/map-api.ts) are
 * one line, as wide as their count says. Thousands of paths as thousands of Leaflet layers is slow, so legs are
 * grouped by look (evidence x precision) into six bulk layers (bulk-lines.ts), foreign hops share one marker
 * per place, and a click is matched to a path here (nearest leg on screen) instead of by Leaflet's per-layer
 * hit testing. The selected path is drawn again, wide, in its own pane with a marker and tooltip per hop.
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
  /** Legs drawn, counting world copies. */
  legs: number;
  foreignMarkers: number;
  claimMarkers: number;
}

export class PathLayer {
  private readonly geometries = new Map<number, PathGeometry>();
  /** Traces per drawn route, by the id of the detour drawn for it. */
  private readonly counts = new Map<number, number>();
  /** What hovering a route says, by the same id. */
  private readonly labels = new Map<number, string>();
  /** Parts waiting for the next frame, per look and line width. */
  private readonly pending = new Map<StyleKey, Map<number, [number, number][][]>>();
  private readonly lines = new Map<StyleKey, BulkLines>();
  private readonly markers: L.LayerGroup;
  private readonly markerKeys = new Set<string>();
  private readonly claims: L.LayerGroup;
  private readonly claimKeys = new Set<string>();
  private readonly selected: L.LayerGroup;
  private readonly renderer: L.Canvas;
  private readonly selectedRenderer: L.Canvas;
  private legCount = 0;
  private flushQueued = false;
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
        this.pending.set(styleKey(evidence, approximate), new Map());
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
   * selected: its hops have tooltips of their own.
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
    map.on('mousemove', (e: L.LeafletMouseEvent) => {
      last = e;
      if (queued) return;
      queued = true;
      requestAnimationFrame(() => {
        queued = false;
        const at = last;
        const id = at && !this.selectedDetour ? this.pick(at.containerPoint) : null;
        if (!at || id === null) {
          hide();
          return;
        }
        tip.setLatLng(at.latlng).setContent(this.labels.get(id) ?? '');
        if (!map.hasLayer(tip)) tip.addTo(map);
        map.getContainer().classList.add('over-route');
      });
    });
    map.on('mouseout', hide);
  }

  /** Replaces every drawn path: one per route, the route's newest detour, as wide as its count. */
  setRoutes(routes: readonly { latest: DetourSummary; count: number }[]): void {
    this.geometries.clear();
    this.counts.clear();
    for (const line of this.lines.values()) line.clear();
    for (const parts of this.pending.values()) parts.clear();
    this.markers.clearLayers();
    this.markerKeys.clear();
    this.claims.clearLayers();
    this.claimKeys.clear();
    this.legCount = 0;
    this.labels.clear();
    for (const r of routes) {
      this.addGeometry(pathGeometry(r.latest), r.count);
      this.labels.set(r.latest.id, routeLabel(r.latest, r.count));
    }
    this.flush();
  }

  /** Traces on the route drawn for this detour id (0 when none is). */
  countOf(id: number): number {
    return this.counts.get(id) ?? 0;
  }

  /** Adds one new route (a detour that arrived live); drawing waits for the next frame so bursts cost one redraw. */
  addRoute(d: DetourSummary, count: number): void {
    if (this.geometries.has(d.id)) return;
    this.addGeometry(pathGeometry(d), count);
    this.labels.set(d.id, routeLabel(d, count));
    if (!this.flushQueued) {
      this.flushQueued = true;
      requestAnimationFrame(() => this.flush());
    }
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
    for (const n of this.counts.values()) paths += n;
    return {
      paths,
      routes: this.geometries.size,
      legs: this.legCount,
      foreignMarkers: this.markerKeys.size,
      claimMarkers: this.claimKeys.size,
    };
  }

  /** The path whose leg is nearest to a point on screen, within the tolerance. */
  pick(at: L.Point): number | null {
    let best: number | null = null;
    let bestDistance = PICK_TOLERANCE_PX;
    const candidates = this.selectedDetour
      ? [pathGeometry(this.selectedDetour), ...this.geometries.values()]
      : this.geometries.values();
    for (const g of candidates) {
      for (const shift of worldShifts(g)) {
        for (const leg of g.legs) {
          const a = this.map.latLngToContainerPoint([leg.from.lat, leg.from.lon + shift]);
          const b = this.map.latLngToContainerPoint([leg.to.lat, leg.to.lon + shift]);
          const distance = distanceToSegment(at, a, b);
          if (distance < bestDistance) {
            bestDistance = distance;
            best = g.id;
          }
        }
      }
    }
    return best;
  }

  private addGeometry(g: PathGeometry, count: number): void {
    this.geometries.set(g.id, g);
    this.counts.set(g.id, count);
    const push = (key: StyleKey, run: [number, number][]): void => {
      const byWeight = this.pending.get(key);
      if (!byWeight) return;
      const weight = routeWeight(EVIDENCE_STYLE[key.split('|')[0] as Evidence].weight, count);
      const runs = byWeight.get(weight);
      if (runs) runs.push(run);
      else byWeight.set(weight, [run]);
    };
    for (const shift of worldShifts(g)) {
      // Consecutive legs of one look become one polyline part: fewer parts, cleaner joins.
      let runKey: StyleKey | null = null;
      let run: [number, number][] = [];
      for (const leg of g.legs) {
        const key = styleKey(leg.evidence, leg.approximate);
        if (key !== runKey) {
          if (runKey !== null) push(runKey, run);
          runKey = key;
          run = [[leg.from.lat, leg.from.lon + shift]];
        }
        run.push([leg.to.lat, leg.to.lon + shift]);
        this.legCount++;
      }
      if (runKey !== null) push(runKey, run);
      for (const p of g.points) {
        if (p.evidence !== 'domestic') this.addForeignMarker(p, shift);
      }
      for (const c of g.claims) this.addClaimMarker(c, shift);
    }
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

  private flush(): void {
    this.flushQueued = false;
    for (const [key, line] of this.lines) {
      const byWeight = this.pending.get(key);
      if (!byWeight || byWeight.size === 0) continue;
      for (const [weight, parts] of byWeight) line.addParts(parts, weight);
      byWeight.clear();
    }
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
function routeLabel(d: DetourSummary, count: number): string {
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
