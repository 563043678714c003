import type { IncidentRow } from './api-guards.ts';
import { formatCount, formatTime } from './format.ts';
import { h, replaceChildren } from './safe-dom.ts';

/**
 * The incidents beside the detours: consecutive detours sharing a cause, with their state, when they were
 * first and last seen, how many independent witnesses saw them (when the coordinator counts them), and the
 * countries and ASNs involved. Opening one filters the map and the list to its traces.
 */
export class IncidentsView {
  private selected: number | null = null;
  private rows: readonly IncidentRow[] = [];
  private more = false;

  constructor(
    private readonly root: HTMLElement,
    private readonly onOpen: (id: number | null) => void,
  ) {}

  set(rows: readonly IncidentRow[], more: boolean): void {
    this.rows = rows;
    this.more = more;
    this.render();
  }

  setSelected(id: number | null): void {
    this.selected = id;
    this.render();
  }

  showError(text: string): void {
    replaceChildren(this.root, h('p', { className: 'empty' }, text));
  }

  private render(): void {
    if (this.rows.length === 0) {
      replaceChildren(this.root, h('p', { className: 'empty' }, 'No incident overlaps these filters.'));
      return;
    }
    replaceChildren(
      this.root,
      ...this.rows.map((r) => this.row(r)),
      this.more
        ? h('p', { className: 'minor more' }, `The newest ${this.rows.length} incidents are shown.`)
        : null,
    );
  }

  private row(r: IncidentRow): HTMLElement {
    const classes = ['incident', r.state];
    if (r.id === this.selected) classes.push('selected');
    const witnesses =
      r.witnesses === null
        ? null
        : `${formatCount(r.witnesses)} witness${r.witnesses === 1 ? '' : 'es'}${r.corroborated ? ' · corroborated' : ''}`;
    const button = h(
      'button',
      { className: classes.join(' '), data: { id: String(r.id) }, attrs: { type: 'button' } },
      h(
        'div',
        { className: 'row-main' },
        h('span', { className: `badge state ${r.state}` }, r.state),
        h('span', { className: 'via' }, `via ${r.countries.join(', ') || '?'}`),
        h('span', { className: 'asns' }, r.asns.map((a) => `AS${a}`).join(' ')),
        h('span', { className: 'detail-id' }, `#${r.id}`),
      ),
      h(
        'div',
        { className: 'row-sub' },
        h('span', { className: 'target' }, `to ${r.destinationPrefix}`),
        h(
          'span',
          null,
          `${formatCount(r.traceCount)} trace${r.traceCount === 1 ? '' : 's'} (${formatCount(r.confirmedCount)} confirmed)`,
        ),
        witnesses ? h('span', { className: 'witnesses' }, witnesses) : null,
      ),
      h(
        'div',
        { className: 'row-sub' },
        h('span', { className: 'time' }, `first ${formatTime(r.firstSeen)}`),
        h('span', { className: 'time' }, `last ${formatTime(r.lastSeen)}`),
      ),
    );
    button.addEventListener('click', () => this.onOpen(r.id === this.selected ? null : r.id));
    return button;
  }
}
