import { describe, expect, it } from 'vitest';
import { EARTH_MEAN_RADIUS_KM, greatCircleKm } from '../../server/physics/great-circle.ts';
import { CITY } from './cities.ts';

describe('greatCircleKm', () => {
  // DESIGN.md's constants, from independently looked-up city centres; 1% covers the choice of centre.
  it.each([
    ['Los Angeles', CITY.losAngeles, 'Washington DC', CITY.washington, 3692],
    ['New York', CITY.newYork, 'Los Angeles', CITY.losAngeles, 3937],
    ['San Jose', CITY.sanJose, 'Shanghai', CITY.shanghai, 9946],
    ['Los Angeles', CITY.losAngeles, 'Hangzhou', CITY.hangzhou, 10599],
    ['Hangzhou', CITY.hangzhou, 'Washington DC', CITY.washington, 12120],
    ['Ashburn', CITY.ashburn, 'Frankfurt', CITY.frankfurt, 6549],
    ['New York', CITY.newYork, 'London', CITY.london, 5571],
  ])('%s - %s is about %s km', (_a, from, _b, to, km) => {
    expect(Math.abs(greatCircleKm(from, to) - km) / km).toBeLessThan(0.01);
  });

  it('is symmetric and zero at the same point', () => {
    expect(greatCircleKm(CITY.detroit, CITY.london)).toBeCloseTo(greatCircleKm(CITY.london, CITY.detroit), 9);
    expect(greatCircleKm(CITY.chicago, CITY.chicago)).toBe(0);
  });

  it('gives half the circumference for antipodes and a quarter from the pole to the equator', () => {
    const half = Math.PI * EARTH_MEAN_RADIUS_KM;
    expect(greatCircleKm({ lat: 0, lon: 0 }, { lat: 0, lon: 180 })).toBeCloseTo(half, 6);
    expect(greatCircleKm({ lat: 45, lon: 10 }, { lat: -45, lon: -170 })).toBeCloseTo(half, 6);
    expect(greatCircleKm({ lat: 90, lon: 0 }, { lat: 0, lon: 77 })).toBeCloseTo(half / 2, 6);
  });

  it('takes the short way across the antimeridian', () => {
    // One degree of longitude on the equator, whichever side of 180 each point is written on.
    const oneDegree = (Math.PI * EARTH_MEAN_RADIUS_KM) / 180;
    expect(greatCircleKm({ lat: 0, lon: 179.5 }, { lat: 0, lon: -179.5 })).toBeCloseTo(oneDegree, 6);
  });
});
