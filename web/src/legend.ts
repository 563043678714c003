import L from 'leaflet';
import { EVIDENCE_ORDER, EVIDENCE_STYLE, REFUTED_STYLE } from './path-style.ts';
import { h } from './safe-dom.ts';

/** What the colours and dashes mean, and the switch for refuted database claims. */
export function addLegend(
  map: L.Map,
  showRefuted: boolean,
  onToggleRefuted: (show: boolean) => void,
  homeCountries: readonly string[],
): HTMLInputElement {
  const toggle = h('input', { attrs: { type: 'checkbox', id: 'dw-show-refuted' } });
  toggle.checked = showRefuted;
  toggle.addEventListener('change', () => onToggleRefuted(toggle.checked));

  const line = (color: string, dashed: boolean): HTMLElement => {
    const swatch = h('span', { className: 'swatch-line' });
    swatch.style.borderTopColor = color;
    if (dashed) swatch.style.borderTopStyle = 'dashed';
    return swatch;
  };
  const dot = (color: string, hollow: boolean): HTMLElement => {
    const swatch = h('span', { className: 'swatch-dot' });
    swatch.style.borderColor = color;
    swatch.style.background = hollow ? '#ffffff' : color;
    if (hollow) swatch.style.borderStyle = 'dashed';
    return swatch;
  };

  const control = new L.Control({ position: 'bottomleft' });
  control.onAdd = () => {
    const box = h(
      'div',
      { className: 'dw-legend leaflet-bar' },
      h('div', { className: 'legend-row legend-home' }, homeText(homeCountries)),
      ...EVIDENCE_ORDER.map((e) =>
        h(
          'div',
          { className: 'legend-row' },
          line(EVIDENCE_STYLE[e].color, false),
          e === 'domestic'
            ? `${EVIDENCE_STYLE[e].label} (in ${homeCountries[0] ?? 'home'})`
            : EVIDENCE_STYLE[e].label,
        ),
      ),
      h('div', { className: 'legend-row' }, line('#555555', false), 'Wider line: more traces on that route'),
      h(
        'div',
        { className: 'legend-row' },
        dot('#1b7a3a', false),
        'Agent (location verified; dashed: not yet)',
      ),
      h(
        'div',
        { className: 'legend-row' },
        line('#555555', true),
        dot('#555555', true),
        'Known only to country level (not a place)',
      ),
      h(
        'label',
        { className: 'legend-row toggle', attrs: { for: 'dw-show-refuted' } },
        toggle,
        dot(REFUTED_STYLE.color, true),
        `Show ${REFUTED_STYLE.label.toLowerCase()}s`,
      ),
    );
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    return box;
  };
  control.addTo(map);
  return toggle;
}

/** "Home: US (with PR, GU, ...)": what counts as domestic here. */
export function homeText(home: readonly string[]): string {
  const [first, ...rest] = home;
  return `Home: ${first ?? '?'}${rest.length > 0 ? ` (with ${rest.join(', ')})` : ''}`;
}
