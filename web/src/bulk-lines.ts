import L from 'leaflet';
import { worldX, worldY } from './mercator.ts';

/**
 * Tens of thousands of straight legs as ONE canvas layer, stroked leg by leg. Leaflet's own polylines cost an
 * object per point per view (LatLngs, projected and clipped Points), and its canvas renderer strokes all parts
 * of a multi-polyline as one path, which Skia rasterises about 5x slower than the same lines stroked one by
 * one (measured in Chromium). Here each leg is projected once, to world units in typed arrays, and scaled to
 * the view while drawing; legs off the canvas are skipped, and so are legs shorter than a pixel at the
 * current zoom (their end markers show them). A leg is stored once with its width: the caller merges legs that
 * several routes share (path-layer.ts). Only Leaflet 1.9's documented-for-plugins canvas hooks are used
 * (`_renderer`, `_project`, `_update`, `_updatePath`); package.json pins 1.9.4.
 */

export interface BulkLines extends L.Path {
  /** Adds a leg from [lat, lon] to [lat, lon] at a line width; returns its index. Drawn with the next redraw. */
  addLeg(from: readonly [number, number], to: readonly [number, number], weight: number): number;
  /** Sets a leg's width. */
  setWeight(leg: number, weight: number): void;
  /**
   * Strokes these legs onto what the canvas shows now, without clearing it (a live detour's legs): the next
   * full redraw draws them in their place in the order.
   */
  drawNow(legs: readonly number[]): void;
  clear(): void;
  legCount(): number;
  /** The same as legCount: each leg is one stroked part. */
  partCount(): number;
}

interface CanvasInternals {
  _drawing: boolean;
  _ctx: CanvasRenderingContext2D | undefined;
  _bounds: L.Bounds;
  _redrawBounds: L.Bounds | null;
}

interface State {
  _map: L.Map | undefined;
  _renderer: CanvasInternals;
  _pxBounds?: L.Bounds;
  options: L.PathOptions & { _dashArray?: number[] };
  /** Per leg: x0, y0, x1, y1 in world units (growing buffer; `_n` legs are used). */
  _xy: Float64Array;
  _w: Float32Array;
  _n: number;
  /** World-unit bounds of every leg. */
  _box: [number, number, number, number];
  redraw(): void;
  /** Strokes these legs, or all of them (null). */
  _stroke(legs: readonly number[] | null): void;
}

function grow<T extends Float64Array | Float32Array>(a: T, need: number): T {
  if (a.length >= need) return a;
  const next = new (a.constructor as new (n: number) => T)(Math.max(need, a.length * 2));
  next.set(a);
  return next;
}

const Bulk = L.Path.extend({
  initialize(this: State, options: L.PathOptions) {
    L.setOptions(this, { ...options, interactive: false });
    this._xy = new Float64Array(1024);
    this._w = new Float32Array(256);
    this._n = 0;
    this._box = [Infinity, Infinity, -Infinity, -Infinity];
  },

  addLeg(this: State, from: readonly [number, number], to: readonly [number, number], weight: number) {
    const i = this._n++;
    this._xy = grow(this._xy, 4 * this._n);
    this._w = grow(this._w, this._n);
    const x0 = worldX(from[1]);
    const y0 = worldY(from[0]);
    const x1 = worldX(to[1]);
    const y1 = worldY(to[0]);
    this._xy.set([x0, y0, x1, y1], 4 * i);
    this._w[i] = weight;
    const b = this._box;
    b[0] = Math.min(b[0], x0, x1);
    b[1] = Math.min(b[1], y0, y1);
    b[2] = Math.max(b[2], x0, x1);
    b[3] = Math.max(b[3], y0, y1);
    return i;
  },

  setWeight(this: State, leg: number, weight: number) {
    this._w[leg] = weight;
  },

  drawNow(this: State, legs: readonly number[]) {
    const renderer = this._renderer;
    if (!this._map || !renderer?._ctx) return;
    (this as unknown as { _project(): void })._project();
    renderer._drawing = true;
    try {
      this._stroke(legs);
    } finally {
      renderer._drawing = false;
    }
  },

  clear(this: State) {
    this._n = 0;
    this._box = [Infinity, Infinity, -Infinity, -Infinity];
    this.redraw();
  },

  legCount(this: State) {
    return this._n;
  },

  partCount(this: State) {
    return this._n;
  },

  /** Pixel bounds of everything, so the renderer's partial redraws include this layer when they should. */
  _project(this: State) {
    if (this._n === 0 || !this._map) {
      this._pxBounds = undefined;
      return;
    }
    const [minX, minY, maxX, maxY] = this._box;
    const scale = this._map.options.crs?.scale(this._map.getZoom()) ?? 256;
    const origin = this._map.getPixelOrigin();
    this._pxBounds = L.bounds(
      [minX * scale - origin.x, minY * scale - origin.y],
      [maxX * scale - origin.x, maxY * scale - origin.y],
    );
  },

  _update() {
    // Nothing to clip or simplify ahead: legs off the canvas or under a pixel are skipped while drawing.
  },

  _updatePath(this: State) {
    if (!this._renderer._drawing) return;
    this._stroke(null);
  },

  _stroke(this: State, legs: readonly number[] | null) {
    const ctx = this._renderer._ctx;
    const map = this._map;
    if (!ctx || !map) return;
    const o = this.options;
    const scale = map.options.crs?.scale(map.getZoom()) ?? 256;
    const origin = map.getPixelOrigin();
    // A partial redraw (a marker added) repaints only its bounds: cull to them, not to the whole view.
    const view = this._renderer._redrawBounds ?? this._renderer._bounds;
    const left = (view.min?.x ?? 0) + origin.x;
    const top = (view.min?.y ?? 0) + origin.y;
    const right = (view.max?.x ?? 0) + origin.x;
    const bottom = (view.max?.y ?? 0) + origin.y;
    ctx.setLineDash(o._dashArray ?? []);
    ctx.globalAlpha = o.opacity ?? 1;
    let width = -1;
    ctx.strokeStyle = o.color ?? '#000000';
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    const xy = this._xy;
    const w = this._w;
    const n = legs === null ? this._n : legs.length;
    for (let k = 0; k < n; k++) {
      const i = legs === null ? k : (legs[k] as number);
      const x0 = (xy[4 * i] as number) * scale;
      const y0 = (xy[4 * i + 1] as number) * scale;
      const x1 = (xy[4 * i + 2] as number) * scale;
      const y1 = (xy[4 * i + 3] as number) * scale;
      if ((x0 < left && x1 < left) || (x0 > right && x1 > right)) continue;
      if ((y0 < top && y1 < top) || (y0 > bottom && y1 > bottom)) continue;
      // Shorter than a pixel at this zoom: the markers at its ends show it.
      if (Math.abs(x1 - x0) < 1 && Math.abs(y1 - y0) < 1) continue;
      const lw = w[i] as number;
      if (lw !== width) {
        width = lw;
        ctx.lineWidth = lw;
      }
      ctx.beginPath();
      ctx.moveTo(x0 - origin.x, y0 - origin.y);
      ctx.lineTo(x1 - origin.x, y1 - origin.y);
      ctx.stroke();
    }
  },

  _containsPoint() {
    return false;
  },
});

export function bulkLines(options: L.PathOptions): BulkLines {
  return new (Bulk as unknown as new (o: L.PathOptions) => BulkLines)(options);
}
