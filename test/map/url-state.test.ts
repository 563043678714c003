import { describe, expect, it } from 'vitest';
import { formatViewState, parseViewState, type ViewState } from '../../web/src/url-state.ts';

describe('view state in the URL', () => {
  const full: ViewState = {
    filter: {
      since: '2026-03-01T00:00:00.000Z',
      until: '2026-03-02T00:00:00.000Z',
      country: 'CN',
      asn: 4134,
      agent: 'agent-la-1',
      confidence: 'confirmed',
    },
    selected: 42,
    showRefuted: true,
  };

  it('round-trips every field', () => {
    expect(parseViewState(formatViewState(full))).toEqual(full);
  });

  it('says nothing for the default view', () => {
    const empty: ViewState = { filter: {}, selected: null, showRefuted: false };
    expect(formatViewState(empty)).toBe('');
    expect(parseViewState('')).toEqual(empty);
  });

  it('normalises what a person may type into a link', () => {
    const v = parseViewState('?country=cn&asn=AS4134&since=2026-03-01');
    expect(v.filter).toEqual({ country: 'CN', asn: 4134, since: new Date('2026-03-01').toISOString() });
  });

  it.each([
    ['country=CHN', 'country'],
    ['asn=-1', 'asn'],
    ['asn=4294967296', 'asn'],
    ['confidence=certain', 'confidence'],
    ['since=yesterday', 'since'],
    ['agent=a%07b', 'agent'],
    ['incident=1.5', 'incident'],
  ])('drops the malformed field in ?%s and keeps the rest', (query, field) => {
    const v = parseViewState(`?${query}&confidence=probable&path=7`);
    if (field !== 'confidence') expect(v.filter.confidence).toBe('probable');
    expect(v.filter).not.toHaveProperty(field);
    expect(v.selected).toBe(7);
  });

  it.each(['path=abc', 'path=-3', 'path=1.5', 'path=', 'path=0'])('ignores a bad selection (%s)', (query) => {
    expect(parseViewState(`?${query}`).selected).toBeNull();
  });
});
