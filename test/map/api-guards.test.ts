import { describe, expect, it } from 'vitest';
import { summarise } from '../../protocol/map-path.ts';
import { detailProblem, detourProblem, readDetourPage, readMapConfig } from '../../web/src/api-guards.ts';
import { laHangzhouDc, nyFrankfurtChicago } from './map-fixtures.ts';

const detail = nyFrankfurtChicago(2, '2026-03-01T11:00:00.000Z');
const summary = summarise(detail);
/** A deep copy through JSON, as the page receives it. */
const wire = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

describe('api guards', () => {
  it('accepts what the coordinator sends', () => {
    expect(detourProblem(wire(summary))).toBeNull();
    expect(detailProblem(wire(detail))).toBeNull();
    expect(detourProblem(wire({ ...summary, vantage: 'contradicted' }))).toBeNull();
  });

  it.each([
    ['id', (d: Record<string, unknown>) => ({ ...d, id: '2' })],
    ['startedAt', (d: Record<string, unknown>) => ({ ...d, startedAt: 'soon' })],
    ['agent', (d: Record<string, unknown>) => ({ ...d, agent: { id: 1, name: 'x' } })],
    ['source.lat', (d: Record<string, unknown>) => ({ ...d, source: { ...(d.source as object), lat: 91 } })],
    ['confidence', (d: Record<string, unknown>) => ({ ...d, confidence: 'maybe' })],
    ['foreignAsns', (d: Record<string, unknown>) => ({ ...d, foreignAsns: ['AS1'] })],
    ['vantage', (d: Record<string, unknown>) => ({ ...d, vantage: 'trusted' })],
    [
      'path[0].status',
      (d: Record<string, unknown>) => ({ ...d, path: [{ ...(d.path as object[])[0], status: 'x' }] }),
    ],
  ])('names the damaged field: %s', (field, damage) => {
    expect(detourProblem(damage(wire(summary) as unknown as Record<string, unknown>))).toBe(field);
  });

  it('names a damaged hop of a detail', () => {
    const d = wire(detail) as unknown as { hops: Record<string, unknown>[] };
    d.hops[1] = { ...d.hops[1], claimed: { country: 'GB', lat: 'x', lon: 0 } };
    expect(detailProblem(d)).toBe('hops[1].claimed');
    expect(detailProblem(wire(summary))).toBe('hops');
  });

  it('keeps the good items of a page and counts the rest', () => {
    const good = summarise(laHangzhouDc(1, '2026-03-01T10:00:00.000Z'));
    const { page, dropped } = readDetourPage({ items: [good, { id: 'bad' }, summary], total: 3 });
    expect(page.items.map((d) => d.id)).toEqual([good.id, summary.id]);
    expect(dropped).toBe(1);
    expect(() => readDetourPage('<html>')).toThrow(/not a list of detours/);
  });

  it('reads the map configuration or says it cannot', () => {
    // An older coordinator names no home: the analysis's default.
    expect(readMapConfig({ tileUrl: null, tileAttribution: null })).toEqual({
      tileUrl: null,
      tileAttribution: null,
      homeCountries: ['US'],
    });
    expect(
      readMapConfig({ tileUrl: null, tileAttribution: null, homeCountries: ['DE', '<b>'] }),
    ).toMatchObject({
      homeCountries: ['DE'],
    });
    expect(() => readMapConfig({ tileUrl: 3 })).toThrow(/map configuration/);
  });
});
