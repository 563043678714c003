import { describe, expect, it } from 'vitest';
import { claimedLocationProblem, packagedAirports } from '../../server/trust/claimed-location.ts';

describe('a claimed location a volunteer could probe from', () => {
  const airports = packagedAirports();

  it.each([
    ['Los Angeles', 34.05, -118.24],
    ['Hagatna, Guam', 13.47, 144.75],
    ['Pago Pago, American Samoa', -14.28, -170.7],
    ['San Juan, Puerto Rico', 18.47, -66.1],
    ['Honolulu', 21.31, -157.86],
    ['Fairbanks', 64.84, -147.72],
  ])('%s is accepted', (_place, lat, lon) => {
    expect(claimedLocationProblem({ lat, lon }, airports)).toBeNull();
  });

  it.each([
    ['0,0 (Null Island)', 0, 0, /Null Island/],
    ['a GPS default near 0,0', 0.2, -0.3, /Null Island/],
    ['the middle of the North Pacific', 35, -150, /km from the nearest airport/],
    ['the South Atlantic', -40, -20, /km from the nearest airport/],
    ['the Southern Ocean', -60, 90, /km from the nearest airport/],
  ])('%s is refused, with the reason', (_place, lat, lon, why) => {
    const problem = claimedLocationProblem({ lat, lon }, airports);
    expect(problem).toMatch(why);
    expect(problem).toContain('--location');
  });

  it('measures from the airports it is given (a place near none of them is refused)', () => {
    const onlyLa = [{ lat: 33.94, lon: -118.41 }];
    expect(claimedLocationProblem({ lat: 34.05, lon: -118.24 }, onlyLa)).toBeNull();
    expect(claimedLocationProblem({ lat: 40.71, lon: -74.01 }, onlyLa)).toMatch(/3,9\d\d km/);
  });
});
