import type { DetourDetail, MapHop } from '../../protocol/map-api.ts';
import {
  foreignCountries,
  formatAsn,
  formatHopLocation,
  formatRtt,
  formatTime,
  STATUS_LABEL,
} from './format.ts';
import { withSilentHops } from './hop-gaps.ts';
import { h, replaceChildren } from './safe-dom.ts';

/** The evidence for one detour: who measured it, towards what, and every hop with its reading. */
export function renderDetail(container: HTMLElement, d: DetourDetail, onBack: () => void): void {
  const back = h('button', { className: 'back', attrs: { type: 'button' } }, '← All detours');
  back.addEventListener('click', onBack);
  const via = foreignCountries(d);
  replaceChildren(
    container,
    h(
      'div',
      { className: 'detail-head' },
      back,
      h('span', { className: `badge ${d.confidence}` }, d.confidence),
      h('span', { className: 'detail-id' }, `#${d.id}`),
    ),
    h('h2', { className: 'detail-title' }, d.target),
    h(
      'dl',
      { className: 'facts' },
      fact(
        'Agent',
        d.agent
          ? `${d.agent.name} (${d.agent.id})`
          : d.probeId !== undefined
            ? `RIPE Atlas probe ${d.probeId} (imported)`
            : 'imported measurement',
      ),
      ...vantageFact(d.vantage),
      fact('Source', endpointText(d.source.ip, d.source.country)),
      fact('Destination', endpointText(d.destination.ip, d.destination.country)),
      fact('Started', formatTime(d.startedAt)),
      fact('Countries on path', d.countries.join(', ')),
      fact('Abroad', via.length > 0 ? via.join(', ') : '–'),
      fact('Foreign ASNs', d.foreignAsns.length > 0 ? d.foreignAsns.map(formatAsn).join(', ') : '–'),
    ),
    hopTable(withSilentHops(d.hops)),
  );
}

/** Only a doubtful vantage is worth a line: a verified one is what every other detour is. */
const VANTAGE_TEXT = {
  unverified: 'vantage: unverified (its claimed location is not confirmed yet)',
  contradicted: 'vantage: contradicted (its claimed location is impossible; never counted as a detour)',
} as const;

function vantageFact(vantage: DetourDetail['vantage']): DocumentFragment[] {
  return vantage === 'unverified' || vantage === 'contradicted'
    ? [fact('Vantage', VANTAGE_TEXT[vantage])]
    : [];
}

function endpointText(ip: string | null, country: string | null): string {
  return `${ip ?? '?'}${country ? ` (${country})` : ''}`;
}

function fact(label: string, value: string): DocumentFragment {
  const f = document.createDocumentFragment();
  f.append(h('dt', null, label), h('dd', null, value));
  return f;
}

function hopTable(hops: readonly MapHop[]): HTMLElement {
  const head = h(
    'tr',
    null,
    ...['TTL', 'Address', 'AS / organisation', 'Location', 'RTT', 'Verdict'].map((t) =>
      h('th', { attrs: { scope: 'col' } }, t),
    ),
  );
  const rows = hops.map((hop) =>
    h(
      'tr',
      { className: `hop ${hop.status}`, data: { ttl: String(hop.ttl) } },
      h('td', { className: 'num' }, hop.ttl),
      h(
        'td',
        null,
        h('div', { className: 'mono' }, hop.ip ?? '*'),
        hop.name ? h('div', { className: 'minor hop-name' }, hop.name) : null,
      ),
      h(
        'td',
        null,
        h('div', null, formatAsn(hop.asn)),
        hop.org ? h('div', { className: 'minor hop-org' }, hop.org) : null,
      ),
      h(
        'td',
        { className: 'hop-location' },
        h('div', null, formatHopLocation(hop)),
        hop.locationSource ? h('div', { className: 'minor' }, hop.locationSource) : null,
      ),
      h(
        'td',
        { className: 'num' },
        h('div', null, formatRtt(hop.rttMs)),
        hop.minRttMs !== null ? h('div', { className: 'minor' }, `needs ${formatRtt(hop.minRttMs)}`) : null,
      ),
      h('td', null, h('span', { className: `status ${hop.status}` }, STATUS_LABEL[hop.status])),
    ),
  );
  return h(
    'table',
    { className: 'hops' },
    h('thead', null, head),
    h(
      'tbody',
      null,
      ...(rows.length > 0 ? rows : [h('tr', null, h('td', { attrs: { colspan: '6' } }, 'No hops'))]),
    ),
  );
}
