import { describe, expect, it } from 'vitest';
import { greatCircleKm } from '../../server/physics/great-circle.ts';
import {
  claimedDistanceKm,
  DEFAULT_KM_PER_MS,
  isLocationImpossible,
  maxDistanceKm,
  minRttForDistance,
} from '../../server/physics/rtt-bound.ts';
import { CITY } from './cities.ts';

describe('RTT bounds', () => {
  it('defaults to 100 km per RTT-ms (200 km per ms one way in fibre)', () => {
    expect(DEFAULT_KM_PER_MS).toBe(100);
    expect(maxDistanceKm(37)).toBe(3700);
    expect(maxDistanceKm(37, 150)).toBe(5550);
  });

  it.each([
    [3692, 36.92],
    [9946, 99.46],
    [12120, 121.2],
  ])('a reply from %s km away needs at least %s ms', (km, ms) => {
    expect(minRttForDistance(km)).toBeCloseTo(ms, 9);
    expect(maxDistanceKm(minRttForDistance(km))).toBeCloseTo(km, 9);
    expect(minRttForDistance(km, 200)).toBeCloseTo(ms / 2, 9);
  });

  it('never claims a negative distance inside the accuracy radius', () => {
    expect(claimedDistanceKm(500, 20)).toBe(480);
    expect(claimedDistanceKm(10, 20)).toBe(0);
  });
});

describe('isLocationImpossible', () => {
  const sanJoseShanghai = greatCircleKm(CITY.sanJose, CITY.shanghai);
  const needMs = minRttForDistance(sanJoseShanghai);

  it('refutes Shanghai for a San Jose reply faster than light allows, and only then', () => {
    expect(isLocationImpossible(sanJoseShanghai, 0, needMs - 0.5)).toBe(true);
    expect(isLocationImpossible(sanJoseShanghai, 0, needMs + 0.5)).toBe(false);
    expect(isLocationImpossible(sanJoseShanghai, 0, 2)).toBe(true);
  });

  it('lets the accuracy radius absorb the difference', () => {
    // 3 ms short of the point is 300 km: a 500 km radius makes the claim possible, a 100 km one does not.
    expect(isLocationImpossible(sanJoseShanghai, 500, needMs - 3)).toBe(false);
    expect(isLocationImpossible(sanJoseShanghai, 100, needMs - 3)).toBe(true);
  });

  it('scales with km per ms', () => {
    expect(isLocationImpossible(sanJoseShanghai, 0, 60, 100)).toBe(true);
    expect(isLocationImpossible(sanJoseShanghai, 0, 60, 200)).toBe(false);
  });

  it('never refutes a claim within the radius, even at 0 ms', () => {
    expect(isLocationImpossible(15, 20, 0)).toBe(false);
  });
});
