import type { LatLon } from '../../server/physics/great-circle.ts';

/** City centres for the placement tests (looked up independently of the dictionaries under test). */
export const AT = {
  denver: { lat: 39.7392, lon: -104.9903 },
  dallas: { lat: 32.7767, lon: -96.797 },
  monterrey: { lat: 25.6866, lon: -100.3161 },
  atlanta: { lat: 33.749, lon: -84.388 },
  frankfurt: { lat: 50.1109, lon: 8.6821 },
  singapore: { lat: 1.3521, lon: 103.8198 },
  seattle: { lat: 47.6062, lon: -122.3321 },
  chicago: { lat: 41.8781, lon: -87.6298 },
  kansasCity: { lat: 39.0997, lon: -94.5786 },
  newYork: { lat: 40.7128, lon: -74.006 },
  sanJuan: { lat: 18.4655, lon: -66.1057 },
  miami: { lat: 25.7617, lon: -80.1918 },
  usCentroid: { lat: 37.751, lon: -97.822 },
  toronto: { lat: 43.6532, lon: -79.3832 },
  buffalo: { lat: 42.8864, lon: -78.8784 },
} satisfies Record<string, LatLon>;
