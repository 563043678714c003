import type { DetourSummary } from '../../protocol/map-api.ts';
import { foreignCountries, formatAsn, formatTime } from './format.ts';
import { h, replaceChildren } from './safe-dom.ts';

/**
 * The list of detours, virtualised: only the rows in view (plus a margin) exist in the DOM, so 2,000 or
 * 200,000 detours cost the same to show. Rows have a fixed height for that reason.
 */

const ROW_HEIGHT = 58;
const OVERSCAN = 8;
/** How long a detour that arrived live keeps its "new" mark. */
const NEW_MARK_MS = 15_000;

export class DetourList {
  private items: readonly DetourSummary[] = [];
  private selectedId: number | null = null;
  private readonly fresh = new Map<number, number>();
  private readonly spacer: HTMLElement;
  private readonly rows: HTMLElement;
  private frameQueued = false;
  private empty: HTMLElement | null = null;

  constructor(
    private readonly viewport: HTMLElement,
    private readonly onSelect: (id: number) => void,
  ) {
    this.rows = h('div', { className: 'rows', attrs: { role: 'list' } });
    this.spacer = h('div', { className: 'spacer' }, this.rows);
    replaceChildren(viewport, this.spacer);
    viewport.addEventListener('scroll', () => this.queueRender(), { passive: true });
    new ResizeObserver(() => this.queueRender()).observe(viewport);
  }

  setItems(items: readonly DetourSummary[]): void {
    this.items = items;
    this.render();
  }

  /** What the list says when it has no row (null: nothing). */
  setEmptyState(node: HTMLElement | null): void {
    this.empty?.remove();
    this.empty = node;
    if (node) this.viewport.prepend(node);
    this.render();
  }

  setSelected(id: number | null): void {
    this.selectedId = id;
    this.render();
  }

  /** Marks a detour as just arrived (shown highlighted for a while). */
  markNew(id: number): void {
    this.fresh.set(id, Date.now() + NEW_MARK_MS);
    setTimeout(() => this.queueRender(), NEW_MARK_MS + 50);
  }

  /** Scrolls a detour into view if it is in the list. */
  reveal(id: number): void {
    const index = this.items.findIndex((d) => d.id === id);
    if (index < 0) return;
    const top = index * ROW_HEIGHT;
    const { scrollTop, clientHeight } = this.viewport;
    if (top < scrollTop || top + ROW_HEIGHT > scrollTop + clientHeight) {
      this.viewport.scrollTop = Math.max(0, top - clientHeight / 3);
    }
    this.render();
  }

  private queueRender(): void {
    if (this.frameQueued) return;
    this.frameQueued = true;
    requestAnimationFrame(() => {
      this.frameQueued = false;
      this.render();
    });
  }

  private render(): void {
    if (this.empty) this.empty.hidden = this.items.length > 0;
    this.spacer.style.height = `${this.items.length * ROW_HEIGHT}px`;
    const first = Math.max(0, Math.floor(this.viewport.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const visible = Math.ceil(this.viewport.clientHeight / ROW_HEIGHT) + 2 * OVERSCAN;
    const last = Math.min(this.items.length, first + visible);
    this.rows.style.transform = `translateY(${first * ROW_HEIGHT}px)`;
    const now = Date.now();
    const rows: HTMLElement[] = [];
    for (let i = first; i < last; i++) {
      const d = this.items[i];
      if (d) rows.push(this.row(d, (this.fresh.get(d.id) ?? 0) > now));
    }
    replaceChildren(this.rows, ...rows);
  }

  private row(d: DetourSummary, isNew: boolean): HTMLElement {
    const classes = ['row', d.confidence];
    if (d.id === this.selectedId) classes.push('selected');
    if (isNew) classes.push('new');
    const via = foreignCountries(d);
    const button = h(
      'button',
      {
        className: classes.join(' '),
        data: { id: String(d.id) },
        attrs: { type: 'button', role: 'listitem' },
      },
      h(
        'div',
        { className: 'row-main' },
        h('span', { className: `badge ${d.confidence}` }, d.confidence),
        h('span', { className: 'via' }, via.length > 0 ? `via ${via.join(', ')}` : 'abroad'),
        h('span', { className: 'asns' }, d.foreignAsns.slice(0, 3).map(formatAsn).join(' ')),
        isNew ? h('span', { className: 'new-mark' }, 'new') : null,
      ),
      h(
        'div',
        { className: 'row-sub' },
        h('span', { className: 'target' }, d.target),
        h('span', { className: 'agent' }, d.agent?.name ?? 'imported'),
        h('span', { className: 'time' }, formatTime(d.startedAt)),
      ),
    );
    button.addEventListener('click', () => this.onSelect(d.id));
    return button;
  }
}
