import { describe, expect, it } from 'vitest';
import { MAX_LATITUDE, worldX, worldY } from '../../web/src/mercator.ts';

describe('Web Mercator world units', () => {
  it('spans 0..1 across one world and keeps going past the antimeridian', () => {
    expect(worldX(-180)).toBe(0);
    expect(worldX(180)).toBe(1);
    expect(worldX(180 + 360) - worldX(180)).toBe(1);
  });

  it('puts the equator in the middle and the clamped poles on the edges', () => {
    expect(worldY(0)).toBeCloseTo(0.5, 12);
    expect(worldY(MAX_LATITUDE)).toBeCloseTo(0, 9);
    expect(worldY(-MAX_LATITUDE)).toBeCloseTo(1, 9);
    expect(worldY(90)).toBe(worldY(MAX_LATITUDE));
  });

  it('stretches latitude as Mercator does (symmetric, growing towards the poles)', () => {
    const step = (lat: number) => worldY(lat) - worldY(lat + 10);
    expect(worldY(30) + worldY(-30)).toBeCloseTo(1, 12);
    expect(step(60)).toBeGreaterThan(step(0));
  });
});
