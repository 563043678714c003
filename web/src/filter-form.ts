import type { DetourSummary } from '../../protocol/map-api.ts';
import { type DetourFilter, FILTER_KEYS, readFilter } from '../../protocol/map-filter.ts';
import { inputFromIso, isoFromInput } from './format.ts';
import { h } from './safe-dom.ts';

/** The fields of the form (an incident is opened from the incidents view, not typed). */
const FORM_KEYS = FILTER_KEYS.filter((k) => k !== 'incident');

/** Typing settles for this long before the list is fetched again. */
const TYPING_DEBOUNCE_MS = 350;

/**
 * The filter controls (declared in index.html). Malformed fields are marked and left out of the filter
 * rather than sent: the coordinator would refuse the whole query.
 */
export class FilterForm {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly seenAgents = new Map<string, string>();
  private readonly seenCountries = new Set<string>();
  private readonly seenAsns = new Set<number>();

  constructor(
    private readonly form: HTMLFormElement,
    private readonly onChange: (f: DetourFilter) => void,
  ) {
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.emit();
    });
    form.addEventListener('change', () => this.emit());
    form.addEventListener('input', () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.emit(), TYPING_DEBOUNCE_MS);
    });
    form.addEventListener('reset', () => {
      // The reset event fires before the fields are cleared.
      setTimeout(() => this.emit(), 0);
    });
  }

  /** Shows a filter (from the URL) in the fields. */
  show(f: DetourFilter): void {
    this.field('since').value = inputFromIso(f.since);
    this.field('until').value = inputFromIso(f.until);
    this.field('country').value = f.country ?? '';
    this.field('asn').value = f.asn === undefined ? '' : String(f.asn);
    this.field('agent').value = f.agent ?? '';
    this.field('confidence').value = f.confidence ?? '';
    for (const key of FORM_KEYS) this.field(key).removeAttribute('aria-invalid');
  }

  /** Offers the agents, countries and ASNs seen so far as suggestions in the text fields. */
  learn(detours: readonly DetourSummary[]): void {
    const before = this.seenAgents.size + this.seenCountries.size + this.seenAsns.size;
    for (const d of detours) {
      if (d.agent) this.seenAgents.set(d.agent.id, d.agent.name);
      for (const c of d.countries) if (c !== d.source.country) this.seenCountries.add(c);
      for (const a of d.foreignAsns) this.seenAsns.add(a);
    }
    if (this.seenAgents.size + this.seenCountries.size + this.seenAsns.size === before) return;
    this.fillList(
      'dw-agents',
      // Names are what analysts know agents by; the id shows as the label.
      [...this.seenAgents].map(([id, name]) => [name, id]),
    );
    this.fillList(
      'dw-countries',
      [...this.seenCountries].sort().map((c) => [c, c]),
    );
    this.fillList(
      'dw-asns',
      [...this.seenAsns].sort((a, b) => a - b).map((a) => [String(a), `AS${a}`]),
    );
  }

  private emit(): void {
    clearTimeout(this.timer);
    const values: Record<string, string> = {
      since: isoFromInput(this.field('since').value) ?? this.field('since').value,
      until: isoFromInput(this.field('until').value) ?? this.field('until').value,
      country: this.field('country').value,
      asn: this.field('asn').value,
      agent: this.field('agent').value,
      confidence: this.field('confidence').value,
    };
    const { filter, invalid } = readFilter((key) => values[key] ?? null);
    for (const key of FORM_KEYS) {
      if (invalid.includes(key)) this.field(key).setAttribute('aria-invalid', 'true');
      else this.field(key).removeAttribute('aria-invalid');
    }
    this.onChange(filter);
  }

  private field(name: (typeof FILTER_KEYS)[number]): HTMLInputElement | HTMLSelectElement {
    const el = this.form.elements.namedItem(name);
    if (!(el instanceof HTMLInputElement || el instanceof HTMLSelectElement)) {
      throw new Error(`index.html lacks the filter field "${name}"`);
    }
    return el;
  }

  private fillList(id: string, options: [value: string, label: string][]): void {
    const list = document.getElementById(id);
    if (!list) return;
    list.replaceChildren(
      ...options.map(([value, label]) => {
        const option = h('option', null);
        option.value = value;
        if (label !== value) option.label = label;
        return option;
      }),
    );
  }
}
