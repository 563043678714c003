/**
 * Web Mercator in world units (the whole world is 0..1 on both axes; Leaflet's EPSG:3857 pixel coordinates
 * are these times 256 x 2^zoom). Longitudes outside [-180, 180] map outside 0..1, which is how unwrapped
 * paths reach the world copies.
 */

/** Leaflet's SphericalMercator clamps latitude here; the map has nothing beyond. */
export const MAX_LATITUDE = 85.0511287798;

export function worldX(lon: number): number {
  return lon / 360 + 0.5;
}

export function worldY(lat: number): number {
  const phi = (Math.max(-MAX_LATITUDE, Math.min(MAX_LATITUDE, lat)) * Math.PI) / 180;
  return 0.5 - Math.log(Math.tan(Math.PI / 4 + phi / 2)) / (2 * Math.PI);
}
