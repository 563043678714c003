import { describe, expect, it } from 'vitest';
import type { MapHop } from '../../protocol/map-api.ts';
import {
  formatHopLocation,
  formatRtt,
  formatTime,
  inputFromIso,
  isoFromInput,
} from '../../web/src/format.ts';
import { withSilentHops } from '../../web/src/hop-gaps.ts';
import { nyFrankfurtChicago } from './map-fixtures.ts';

const hops = nyFrankfurtChicago(2, '2026-03-01T11:00:00.000Z').hops;
const byStatus = (s: MapHop['status']) => hops.find((h) => h.status === s) as MapHop;

describe('format', () => {
  it('shows times in UTC whatever the browser zone', () => {
    expect(formatTime('2026-03-01T11:00:00+02:00')).toBe('2026-03-01 09:00:00 UTC');
  });

  it('round-trips datetime-local values as UTC', () => {
    const iso = isoFromInput('2026-03-01T09:30');
    expect(iso).toBe('2026-03-01T09:30:00.000Z');
    expect(inputFromIso(iso)).toBe('2026-03-01T09:30');
    expect(isoFromInput('')).toBeUndefined();
  });

  it('says how precise a location is and when it was refuted', () => {
    const city = byStatus('foreign-probable');
    expect(formatHopLocation(city)).toBe(`${city.city}, ${city.country}`);
    expect(formatHopLocation({ ...city, precision: 'country' })).toContain('country only');
    expect(formatHopLocation(byStatus('refuted'))).toMatch(/^claimed GB, refuted$/);
  });

  it('prints RTTs with sensible precision and a dash for none', () => {
    expect(formatRtt(null)).toBe('–');
    expect(formatRtt(3.126)).toBe('3.13 ms');
    expect(formatRtt(131.66)).toBe('131.7 ms');
  });
});

describe('withSilentHops', () => {
  it('fills the TTLs a tool left out with silent hops, and adds nothing else', () => {
    const [first, second, third] = hops;
    if (!first || !second || !third) throw new Error('fixture too short');
    const gapped = [first, { ...third, ttl: first.ttl + 3 }];
    const filled = withSilentHops(gapped);
    expect(filled.map((h) => h.ttl)).toEqual([first.ttl, first.ttl + 1, first.ttl + 2, first.ttl + 3]);
    expect(filled.slice(1, 3).every((h) => h.status === 'no-reply' && h.ip === null)).toBe(true);
    expect(withSilentHops(hops)).toEqual(hops);
    expect(second.ttl).toBe(first.ttl + 1);
  });
});
