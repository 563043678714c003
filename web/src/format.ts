import type { DetourSummary, MapHop, MapHopStatus } from '../../protocol/map-api.ts';

/** Words for each hop reading, as the hop table shows them. */
export const STATUS_LABEL: Record<MapHopStatus, string> = {
  home: 'home',
  'foreign-confirmed': 'abroad, confirmed',
  'foreign-probable': 'abroad, probable',
  refuted: 'claim refuted',
  special: 'special range',
  unlocated: 'not located',
  'no-reply': 'no reply',
};

export function formatRtt(ms: number | null): string {
  if (ms === null) return '–';
  return `${ms < 10 ? ms.toFixed(2) : ms.toFixed(1)} ms`;
}

/** `2024-05-01 10:00:00 UTC`: analysts compare times across agents, so always UTC. */
export function formatTime(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** Where a hop is, saying how precise that is. Refuted hops show the claim and that it is refuted. */
export function formatHopLocation(hop: MapHop): string {
  if (hop.status === 'refuted') {
    const where = hop.claimed?.country ?? hop.country ?? '?';
    return `claimed ${where}, refuted`;
  }
  if (hop.precision === 'country') return `${hop.country ?? '?'} (country only)`;
  const place = [hop.city, hop.country].filter((x) => x !== null && x !== '').join(', ');
  if (place !== '') return place;
  return hop.lat !== null && hop.lon !== null ? `${hop.lat.toFixed(2)}, ${hop.lon.toFixed(2)}` : '–';
}

export function formatAsn(asn: number | null): string {
  return asn === null ? '–' : `AS${asn}`;
}

/** The countries a detour went through, besides its source's. */
export function foreignCountries(d: DetourSummary): string[] {
  const home = d.source.country;
  return d.countries.filter((c) => c !== home);
}

/** datetime-local inputs carry no zone; the page reads and writes them as UTC, like every time it shows. */
export function isoFromInput(value: string): string | undefined {
  if (value === '') return undefined;
  const ms = Date.parse(`${value}${value.length === 16 ? ':00' : ''}Z`);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

export function inputFromIso(iso: string | undefined): string {
  if (iso === undefined) return '';
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? '' : new Date(ms).toISOString().slice(0, 16);
}

export const formatCount = (n: number): string => n.toLocaleString('en-US');
