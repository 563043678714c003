import { describe, expect, it } from 'vitest';
import type { DetourSummary } from '../../protocol/map-api.ts';
import {
  compareNewestFirst,
  type DetourFilter,
  matchesFilter,
  readFilter,
} from '../../protocol/map-filter.ts';
import { summarise } from '../../protocol/map-path.ts';
import { laHangzhouDc, nyFrankfurtChicago } from './map-fixtures.ts';

const la = summarise(laHangzhouDc(1, '2026-03-01T10:00:00.000Z'));
const ny = summarise(nyFrankfurtChicago(2, '2026-03-01T11:00:00.000Z'));

describe('readFilter', () => {
  const read = (q: string) => {
    const p = new URLSearchParams(q);
    return readFilter((k) => p.get(k));
  };

  it('reads every field and lists none invalid', () => {
    const { filter, invalid } = read(
      'since=2026-03-01T00:00:00Z&until=2026-03-02T00:00:00Z&country=cn&asn=4134&agent=a1&confidence=probable',
    );
    expect(invalid).toEqual([]);
    expect(filter).toEqual({
      since: '2026-03-01T00:00:00.000Z',
      until: '2026-03-02T00:00:00.000Z',
      country: 'CN',
      asn: 4134,
      agent: 'a1',
      confidence: 'probable',
    });
  });

  it('treats empty fields as absent', () => {
    expect(read('country=&asn=%20')).toEqual({ filter: {}, invalid: [] });
  });

  it('names each malformed field', () => {
    expect(read('country=C1&asn=0&confidence=x&until=2026-13-45').invalid.sort()).toEqual(
      ['asn', 'confidence', 'country', 'until'].sort(),
    );
  });
});

describe('matchesFilter', () => {
  const cases: [string, DetourFilter, DetourSummary, boolean][] = [
    ['no filter', {}, la, true],
    ['country on the path', { country: 'CN' }, la, true],
    ['country not on the path', { country: 'CN' }, ny, false],
    ['foreign ASN', { asn: 3320 }, ny, true],
    ['other ASN', { asn: 3320 }, la, false],
    ['agent', { agent: la.agent?.id }, la, true],
    ['other agent', { agent: la.agent?.id }, ny, false],
    ['imported, no agent', { agent: la.agent?.id }, { ...la, agent: null }, false],
    ['confidence', { confidence: 'probable' }, ny, true],
    ['other confidence', { confidence: 'probable' }, la, false],
    ['since is inclusive', { since: la.startedAt }, la, true],
    ['until is exclusive', { until: la.startedAt }, la, false],
    ['inside the range', { since: la.startedAt, until: ny.startedAt }, la, true],
  ];
  it.each(cases)('%s', (_name, filter, detour, expected) => {
    expect(matchesFilter(detour, filter)).toBe(expected);
  });
});

describe('compareNewestFirst', () => {
  it('puts the later detour first and breaks ties by id', () => {
    expect([la, ny].sort(compareNewestFirst).map((d) => d.id)).toEqual([ny.id, la.id]);
    const twin = { ...la, id: la.id + 10 };
    expect([la, twin].sort(compareNewestFirst).map((d) => d.id)).toEqual([twin.id, la.id]);
  });
});
