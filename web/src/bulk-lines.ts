import L from 'leaflet';
import { worldX, worldY } from './mercator.ts';

/**
 * Thousands of polylines as ONE canvas layer, stroked part by part. Leaflet's own polylines cost an object
 * per point per view (LatLngs, projected and clipped Points: garbage-collector time at 2,000 paths), and its
 * canvas renderer strokes all parts of a multi-polyline as one path, which Skia rasterises about 5x slower
 * than the same lines stroked one by one (measured in Chromium). Here points are projected once, to world
 * units in typed arrays, and scaled to the view while drawing. Only Leaflet 1.9's documented-for-plugins
 * canvas hooks are used (`_renderer`, `_project`, `_update`, `_updatePath`); package.json pins 1.9.4.
 */

export interface BulkLines extends L.Path {
  /** Adds parts, each a list of [lat, lon] points, at a line width (the layer's own by default). */
  addParts(parts: readonly (readonly [number, number])[][], weight?: number): void;
  clear(): void;
  partCount(): number;
}

interface CanvasInternals {
  _drawing: boolean;
  _ctx: CanvasRenderingContext2D;
  _bounds: L.Bounds;
}

interface State {
  _map: L.Map;
  _renderer: CanvasInternals;
  _pxBounds?: L.Bounds;
  options: L.PathOptions & { _dashArray?: number[] };
  /** Per part: x0, y0, x1, y1, ... in world units. */
  _xy: Float64Array[];
  /** Per part: minX, minY, maxX, maxY in world units. */
  _box: Float64Array[];
  /** Per part: its line width (a route's count sets it). */
  _w: number[];
  redraw(): void;
}

const Bulk = L.Path.extend({
  initialize(this: State, options: L.PathOptions) {
    L.setOptions(this, { ...options, interactive: false });
    this._xy = [];
    this._box = [];
    this._w = [];
  },

  addParts(this: State, parts: readonly (readonly [number, number])[][], weight?: number) {
    const w = weight ?? this.options.weight ?? 1;
    for (const part of parts) {
      if (part.length < 2) continue;
      const xy = new Float64Array(part.length * 2);
      const box = new Float64Array([Infinity, Infinity, -Infinity, -Infinity]);
      part.forEach(([lat, lon], i) => {
        const x = worldX(lon);
        const y = worldY(lat);
        xy[2 * i] = x;
        xy[2 * i + 1] = y;
        box[0] = Math.min(box[0] as number, x);
        box[1] = Math.min(box[1] as number, y);
        box[2] = Math.max(box[2] as number, x);
        box[3] = Math.max(box[3] as number, y);
      });
      this._xy.push(xy);
      this._box.push(box);
      this._w.push(w);
    }
    this.redraw();
  },

  clear(this: State) {
    this._xy = [];
    this._box = [];
    this._w = [];
    this.redraw();
  },

  partCount(this: State) {
    return this._xy.length;
  },

  /** Pixel bounds of everything, so the renderer's partial redraws include this layer when they should. */
  _project(this: State) {
    if (this._box.length === 0) {
      this._pxBounds = undefined;
      return;
    }
    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    for (const b of this._box) {
      minX = Math.min(minX, b[0] as number);
      minY = Math.min(minY, b[1] as number);
      maxX = Math.max(maxX, b[2] as number);
      maxY = Math.max(maxY, b[3] as number);
    }
    const scale = this._map.options.crs?.scale(this._map.getZoom()) ?? 256;
    const origin = this._map.getPixelOrigin();
    this._pxBounds = L.bounds(
      [minX * scale - origin.x, minY * scale - origin.y],
      [maxX * scale - origin.x, maxY * scale - origin.y],
    );
  },

  _update() {
    // Nothing to clip or simplify: parts off the canvas are skipped while drawing.
  },

  _updatePath(this: State) {
    const renderer = this._renderer;
    if (!renderer._drawing) return;
    const ctx = renderer._ctx;
    const o = this.options;
    const scale = this._map.options.crs?.scale(this._map.getZoom()) ?? 256;
    const origin = this._map.getPixelOrigin();
    const view = renderer._bounds;
    const left = (view.min?.x ?? 0) + origin.x;
    const top = (view.min?.y ?? 0) + origin.y;
    const right = (view.max?.x ?? 0) + origin.x;
    const bottom = (view.max?.y ?? 0) + origin.y;
    ctx.setLineDash(o._dashArray ?? []);
    ctx.globalAlpha = o.opacity ?? 1;
    let width = o.weight ?? 1;
    ctx.lineWidth = width;
    ctx.strokeStyle = o.color ?? '#000000';
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    for (let i = 0; i < this._xy.length; i++) {
      const box = this._box[i] as Float64Array;
      if ((box[2] as number) * scale < left || (box[0] as number) * scale > right) continue;
      if ((box[3] as number) * scale < top || (box[1] as number) * scale > bottom) continue;
      const xy = this._xy[i] as Float64Array;
      const w = this._w[i] as number;
      if (w !== width) {
        width = w;
        ctx.lineWidth = w;
      }
      ctx.beginPath();
      ctx.moveTo((xy[0] as number) * scale - origin.x, (xy[1] as number) * scale - origin.y);
      for (let k = 2; k < xy.length; k += 2) {
        ctx.lineTo((xy[k] as number) * scale - origin.x, (xy[k + 1] as number) * scale - origin.y);
      }
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
