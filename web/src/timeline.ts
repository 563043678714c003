import type { TimelineBucket, Timeline as TimelineData } from '../../protocol/map-api.ts';
import { formatCount } from './format.ts';
import { h, replaceChildren } from './safe-dom.ts';

/**
 * Detours per hour or day, stacked by first foreign country, as plain SVG. Dragging across it (brushing)
 * picks a time range, snapped to whole buckets; a click picks one bucket; "All time" clears it.
 */

const SVG = 'http://www.w3.org/2000/svg';
const HEIGHT = 84;
const AXIS = 14;
const BUCKET_MS: Record<TimelineBucket, number> = { hour: 3_600_000, day: 86_400_000 };
/** The countries with most detours get a colour each; the rest share grey. */
const PALETTE = ['#c81e2b', '#e08a00', '#7b4fa0', '#2a9d8f', '#3d5a80', '#b5651d'];
const OTHER = '#9aa5b1';
/** A drag shorter than this (px) is a click. */
const CLICK_PX = 3;

export interface TimeRange {
  since: string;
  until: string;
}

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const hour = (ms: number): string => `${new Date(ms).toISOString().slice(0, 13).replace('T', ' ')}h`;

export class TimelineView {
  private data: TimelineData | null = null;
  private brushed: TimeRange | null = null;
  private readonly chart: HTMLElement;
  private readonly legend: HTMLElement;
  private readonly caption: HTMLElement;
  private readonly clear: HTMLButtonElement;
  /** The scale of the last drawing: the first bucket's start and ms per px. */
  private scale: { t0: number; msPerPx: number; width: number } | null = null;

  constructor(
    root: HTMLElement,
    private readonly onBrush: (range: TimeRange | null) => void,
  ) {
    this.chart = h('div', { className: 'timeline-chart' });
    this.legend = h('div', { className: 'timeline-legend' });
    this.caption = h('span', { className: 'timeline-caption' });
    this.clear = h('button', { className: 'timeline-clear', attrs: { type: 'button' } }, 'All time');
    this.clear.addEventListener('click', () => this.onBrush(null));
    replaceChildren(
      root,
      h('div', { className: 'timeline-head' }, this.caption, this.clear),
      this.chart,
      this.legend,
    );
    new ResizeObserver(() => this.draw()).observe(this.chart);
  }

  set(data: TimelineData, brushed: TimeRange | null): void {
    this.data = data;
    this.brushed = brushed;
    this.draw();
  }

  private draw(): void {
    const data = this.data;
    this.clear.hidden = this.brushed === null;
    if (!data || data.bins.length === 0) {
      this.scale = null;
      replaceChildren(this.chart);
      replaceChildren(this.legend);
      this.caption.textContent = 'No detours over time to show';
      return;
    }
    const width = Math.max(120, this.chart.clientWidth || 360);
    const bucketMs = BUCKET_MS[data.bucket];
    const starts = data.bins.map((b) => Date.parse(b.start));
    const t0 = Math.min(...starts);
    const t1 = Math.max(...starts) + bucketMs;
    const msPerPx = (t1 - t0) / width;
    this.scale = { t0, msPerPx, width };
    const max = Math.max(...data.bins.map((b) => b.total));

    const totals = new Map<string, number>();
    for (const b of data.bins) {
      for (const [c, n] of Object.entries(b.byCountry)) totals.set(c, (totals.get(c) ?? 0) + n);
    }
    const ranked = [...totals].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([c]) => c);
    const colour = (c: string): string => PALETTE[ranked.indexOf(c)] ?? OTHER;

    const plot = HEIGHT - AXIS;
    const box = svg('svg', {
      width,
      height: HEIGHT,
      viewBox: `0 0 ${width} ${HEIGHT}`,
      role: 'img',
      'aria-label': `Detours per ${data.bucket}, by foreign country; drag to choose a time range`,
    });
    const barWidth = Math.max(1, bucketMs / msPerPx - 1);
    for (const b of data.bins) {
      const x = (Date.parse(b.start) - t0) / msPerPx;
      const g = svg('g', { class: 'bin' });
      g.dataset.start = b.start;
      g.dataset.total = String(b.total);
      let y = plot;
      for (const c of ranked) {
        const n = b.byCountry[c];
        if (!n) continue;
        const hgt = Math.max(1, (n / max) * (plot - 4));
        y -= hgt;
        g.appendChild(svg('rect', { x, y, width: barWidth, height: hgt, fill: colour(c) }));
      }
      const title = svg('title', {});
      const when = data.bucket === 'day' ? day(Date.parse(b.start)) : hour(Date.parse(b.start));
      const parts = Object.entries(b.byCountry).map(([c, n]) => `${c} ${formatCount(n)}`);
      title.textContent = `${when} UTC: ${formatCount(b.total)} detours (${parts.join(', ')})`;
      g.appendChild(title);
      box.appendChild(g);
    }
    if (this.brushed) {
      const a = (Date.parse(this.brushed.since) - t0) / msPerPx;
      const z = (Date.parse(this.brushed.until) - t0) / msPerPx;
      const left = Math.max(0, Math.min(width, a));
      const right = Math.max(0, Math.min(width, z));
      if (right > left) {
        box.appendChild(svg('rect', { class: 'brushed', x: left, y: 0, width: right - left, height: plot }));
      }
    }
    box.appendChild(svg('line', { x1: 0, x2: width, y1: plot + 0.5, y2: plot + 0.5, class: 'axis' }));
    const label = (x: number, text: string, anchor: string): void => {
      const t = svg('text', { x, y: HEIGHT - 2, 'text-anchor': anchor, class: 'axis-label' });
      t.textContent = text;
      box.appendChild(t);
    };
    label(0, day(t0), 'start');
    label(width, day(t1 - 1), 'end');
    const selection = svg('rect', { class: 'selection', x: 0, y: 0, width: 0, height: plot });
    selection.style.display = 'none';
    box.appendChild(selection);
    this.listen(box, selection, bucketMs);
    replaceChildren(this.chart, box);

    replaceChildren(
      this.legend,
      ...ranked.slice(0, PALETTE.length).map((c) => {
        const swatch = h('span', { className: 'swatch-box' });
        swatch.style.background = colour(c);
        return h('span', { className: 'timeline-key' }, swatch, c === '??' ? 'unknown' : c);
      }),
      ranked.length > PALETTE.length ? h('span', { className: 'timeline-key' }, 'grey: others') : null,
    );
    const total = data.bins.reduce((n, b) => n + b.total, 0);
    this.caption.textContent = `${formatCount(total)} detours per ${data.bucket}, by foreign country · drag to choose`;
  }

  private listen(box: SVGSVGElement, selection: SVGRectElement, bucketMs: number): void {
    let from: number | null = null;
    const xOf = (e: PointerEvent): number => {
      const r = box.getBoundingClientRect();
      return Math.max(0, Math.min(r.width, e.clientX - r.left));
    };
    box.addEventListener('pointerdown', (e) => {
      from = xOf(e);
      box.setPointerCapture(e.pointerId);
      selection.style.display = '';
      selection.setAttribute('x', String(from));
      selection.setAttribute('width', '0');
    });
    box.addEventListener('pointermove', (e) => {
      if (from === null) return;
      const x = xOf(e);
      selection.setAttribute('x', String(Math.min(from, x)));
      selection.setAttribute('width', String(Math.abs(x - from)));
    });
    const finish = (e: PointerEvent): void => {
      if (from === null || !this.scale) return;
      const to = xOf(e);
      const [a, z] = Math.abs(to - from) < CLICK_PX ? [from, from] : [Math.min(from, to), Math.max(from, to)];
      from = null;
      selection.style.display = 'none';
      const { t0, msPerPx } = this.scale;
      // Whole buckets: the one the drag starts in through the one it ends in.
      const since = Math.floor((t0 + a * msPerPx) / bucketMs) * bucketMs;
      const until = Math.max(since + bucketMs, Math.ceil((t0 + z * msPerPx) / bucketMs) * bucketMs);
      this.onBrush({ since: new Date(since).toISOString(), until: new Date(until).toISOString() });
    };
    box.addEventListener('pointerup', finish);
    box.addEventListener('pointercancel', () => {
      from = null;
      selection.style.display = 'none';
    });
  }
}
