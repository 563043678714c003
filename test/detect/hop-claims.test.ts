import { describe, expect, it } from 'vitest';
import {
  CITY_LEVEL_DEFAULT_RADIUS_KM,
  COUNTRY_LEVEL_RADIUS_KM,
  claimRadiusKm,
} from '../../server/detect/claim-radius.ts';
import { isFlowStable } from '../../server/detect/flow-stability.ts';
import { collectHopClaims } from '../../server/detect/hop-claims.ts';
import { greatCircleKm } from '../../server/physics/great-circle.ts';
import { CITY, located, place, reply, STAR, scenario, special } from './scenario.ts';

describe('claimRadiusKm', () => {
  it.each([
    ['city with a radius', place(CITY.london, 'GB', { accuracyKm: 50 }), 50],
    ['city without one', place(CITY.london, 'GB', { accuracyKm: null }), CITY_LEVEL_DEFAULT_RADIUS_KM],
    [
      'country without one',
      place(CITY.london, 'GB', { precision: 'country', accuracyKm: null }),
      COUNTRY_LEVEL_RADIUS_KM,
    ],
    [
      'country with a small one',
      place(CITY.london, 'GB', { precision: 'country', accuracyKm: 100 }),
      COUNTRY_LEVEL_RADIUS_KM,
    ],
    ['country with a large one', place(CITY.london, 'GB', { precision: 'country', accuracyKm: 5000 }), 5000],
    [
      'a negative radius is no radius',
      place(CITY.london, 'GB', { accuracyKm: -5 }),
      CITY_LEVEL_DEFAULT_RADIUS_KM,
    ],
  ])('%s', (_name, location, expected) => {
    expect(claimRadiusKm(location)).toBe(expected);
  });
});

describe('isFlowStable', () => {
  it.each([
    ['icmp-paris', true],
    ['udp-paris', true],
    ['tcp-paris', true],
    ['icmp', false],
    ['udp', false],
    ['tcp', false],
    ['unknown', false],
  ] as const)('%s: %s', (method, stable) => {
    expect(isFlowStable(method)).toBe(stable);
  });
});

describe('collectHopClaims', () => {
  const annotated = scenario({
    source: '192.168.1.2',
    destination: '34.102.1.1',
    position: CITY.sanJose,
    hops: [
      [reply('192.168.1.1', 0.5)],
      [reply('63.218.1.1', 3), reply('63.218.1.1', 1.5), reply('63.218.1.9', 2), STAR],
      [STAR, STAR],
      [reply('202.97.1.1', -1), reply('202.97.1.1', Number.NaN), reply('202.97.1.1', 130)],
      [reply('34.102.1.1', 9), reply('198.18.0.1', 9)],
    ],
    addresses: [
      special('192.168.1.1', 'private'),
      located('63.218.1.1', place(CITY.sanJose, 'us')),
      located('202.97.1.1', place(CITY.shanghai, 'CN')),
      located('34.102.1.1', { ...place(CITY.losAngeles, 'US'), country: null }),
    ],
  });
  const claims = collectHopClaims(annotated, 'US');

  it('keeps one claim per address per TTL, with its lowest RTT', () => {
    expect(claims.map((h) => h.claims.map((c) => [c.ip, c.rttMs]))).toEqual([
      [['192.168.1.1', 0.5]],
      [
        ['63.218.1.1', 1.5],
        ['63.218.1.9', 2],
      ],
      [],
      [['202.97.1.1', 130]],
      [
        ['34.102.1.1', 9],
        ['198.18.0.1', 9],
      ],
    ]);
  });

  it('classifies each claim, case-insensitively, and never locates special space', () => {
    expect(claims.map((h) => h.claims.map((c) => c.kind))).toEqual([
      ['special'],
      ['home', 'unlocated'],
      [],
      ['foreign'],
      ['unlocated', 'unlocated'],
    ]);
    expect(claims[0]?.claims[0]?.location).toBeNull();
  });

  it('measures each located claim from the prober', () => {
    const shanghai = claims[3]?.claims[0];
    expect(shanghai?.distanceKm).toBeCloseTo(greatCircleKm(CITY.sanJose, CITY.shanghai), 6);
    expect(shanghai?.radiusKm).toBe(20);
    expect(claims[1]?.claims[1]?.distanceKm).toBeNull();
  });

  it('ignores RTTs that are negative or not numbers, keeping the reply', () => {
    const trace = scenario({
      source: null,
      destination: null,
      position: null,
      hops: [[reply('202.97.1.1', -3)]],
      addresses: [located('202.97.1.1', place(CITY.shanghai, 'CN'))],
    });
    const only = collectHopClaims(trace, 'US')[0]?.claims[0];
    expect(only?.rttMs).toBeNull();
    expect(only?.distanceKm).toBeNull();
  });

  it('orders TTLs even when the trace does not', () => {
    const shuffled = structuredClone(annotated);
    shuffled.trace.hops.reverse();
    expect(collectHopClaims(shuffled, 'US').map((h) => h.ttl)).toEqual([1, 2, 3, 4, 5]);
  });
});
