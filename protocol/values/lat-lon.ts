import type { Position } from '../messages.ts';
import { badValue, quote } from './quote.ts';

const LAT_LON = /^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$/;

/** A point on Earth: latitude within -90..90, longitude within -180..180, both finite. */
export function latLon(lat: number, lon: number): Position {
  if (!Number.isFinite(lat) || lat < -90 || lat > 90) {
    // The usual slip is LON,LAT (GeoJSON's order): say so when the numbers fit the other way round.
    const swapped = Math.abs(lon) <= 90 && Math.abs(lat) <= 180 ? ' (latitude comes first: LAT,LON)' : '';
    throw badValue(`latitude ${lat} is outside -90..90${swapped}`);
  }
  if (!Number.isFinite(lon) || lon < -180 || lon > 180) {
    throw badValue(`longitude ${lon} is outside -180..180`);
  }
  return { lat, lon };
}

/** `LAT,LON` in decimal degrees, e.g. `37.77,-122.42` (spaces around the comma allowed). */
export function parseLatLon(text: string): Position {
  const m = LAT_LON.exec(text);
  if (!m) throw badValue(`${quote(text)} is not LAT,LON in decimal degrees (e.g. 37.77,-122.42)`);
  return latLon(Number(m[1]), Number(m[2]));
}
