import { describe, expect, it } from 'vitest';
import { CLLI_CODES } from '../../server/placement/clli-codes.ts';
import { clliPlaceSkeleton } from '../../server/placement/clli-derive.ts';
import { packagedGazetteer } from '../../server/placement/dictionaries.ts';
import { METRO_CODES } from '../../server/placement/metro-codes.ts';

describe('hand-kept code tables', () => {
  it('every CLLI entry resolves to its one GeoNames city, in its country, with a named source', () => {
    const g = packagedGazetteer();
    for (const [code, entry] of Object.entries(CLLI_CODES)) {
      const place = g.clli(code);
      expect(place, code).not.toBeNull();
      expect([place?.name, place?.country], code).toEqual([entry.city, entry.country]);
      expect(entry.source.length, code).toBeGreaterThan(10);
      expect(code, code).toMatch(/^[a-z]{6}$/);
    }
  });

  it('every metropolitan code resolves to its city', () => {
    const g = packagedGazetteer();
    for (const [code, entry] of Object.entries(METRO_CODES)) {
      const place = g.airport(code);
      expect(place?.country, code).toBe(entry.country);
    }
  });

  it.each([
    ['Dallas', 'dlls'],
    ['San Jose', 'snjs'],
    ['Atlanta', 'atln'],
    ['Seattle', 'sttl'],
    ['Chicago', 'chcg'],
    ['Miami', null],
  ])('the consonant skeleton of %s is %s', (city, skeleton) => {
    expect(clliPlaceSkeleton(city)).toBe(skeleton);
  });
});
