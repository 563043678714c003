import type { LatLon } from '../../server/physics/great-circle.ts';

/** City centres (looked up independently of DESIGN.md's distances, which the tests check against). */
export const CITY = {
  losAngeles: { lat: 34.0522, lon: -118.2437 },
  washington: { lat: 38.9072, lon: -77.0369 },
  newYork: { lat: 40.7128, lon: -74.006 },
  sanJose: { lat: 37.3382, lon: -121.8863 },
  shanghai: { lat: 31.2304, lon: 121.4737 },
  hangzhou: { lat: 30.2741, lon: 120.1551 },
  beijing: { lat: 39.9042, lon: 116.4074 },
  ashburn: { lat: 39.0438, lon: -77.4874 },
  frankfurt: { lat: 50.1109, lon: 8.6821 },
  berlin: { lat: 52.52, lon: 13.405 },
  london: { lat: 51.5074, lon: -0.1278 },
  detroit: { lat: 42.3314, lon: -83.0458 },
  chicago: { lat: 41.8781, lon: -87.6298 },
} satisfies Record<string, LatLon>;
