import type { GeoLocation } from '../../protocol/annotated.ts';

/**
 * Turns a raw City-database record into a GeoLocation, or null when the record places nothing or is garbage.
 * Two shapes are accepted:
 * - GeoIP2/GeoLite2 City (nested): country.iso_code, city.names.en, subdivisions[], location.latitude/
 *   longitude/accuracy_radius;
 * - @ip-location-db (flat): country_code, city, state1, latitude, longitude.
 * Records come from untrusted files: a field of the wrong type or out of range rejects the whole record
 * rather than being guessed at.
 */

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Earth's half circumference: no honest accuracy radius is larger. */
const MAX_ACCURACY_KM = 20_038;
const MAX_NAME_LENGTH = 200;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is rejected
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/**
 * Country centroids that databases hand out when they know only the country, keyed by coordinates rounded
 * to 3 decimals. Records there are country-level even when they carry a city name.
 */
const KNOWN_CENTROIDS = new Set<string>([
  '37.751,-97.822', // United States (GeoLite2/GeoIP2 default for US addresses)
]);

function centroidKey(lat: number, lon: number): string {
  return `${Math.round(lat * 1000) / 1000},${Math.round(lon * 1000) / 1000}`;
}

/** A valid place name, null for none, undefined for garbage. */
function placeName(value: unknown): string | null | undefined {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') return undefined;
  const name = value.trim();
  if (name.length > MAX_NAME_LENGTH || CONTROL_CHARACTERS.test(name)) return undefined;
  return name === '' ? null : name;
}

/** GeoIP2 `names` maps: English when present, else any language the database has. */
function localisedName(value: unknown): string | null | undefined {
  if (value === undefined || value === null) return null;
  if (!isObject(value)) return undefined;
  const names = value.names;
  if (names === undefined) return null;
  if (!isObject(names)) return undefined;
  return placeName(names.en ?? Object.values(names)[0]);
}

function countryCode(value: unknown): string | null | undefined {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string' || !/^[A-Za-z]{2}$/.test(value)) return undefined;
  return value.toUpperCase();
}

function accuracy(value: unknown): number | null | undefined {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_ACCURACY_KM) {
    return undefined;
  }
  return value;
}

interface Fields {
  lat: unknown;
  lon: unknown;
  country: string | null | undefined;
  city: string | null | undefined;
  /** Whether the record names a region below the country (state, province). */
  subdivision: boolean | undefined;
  accuracyKm: number | null | undefined;
}

function nestedFields(raw: Json): Fields | null {
  const location = raw.location;
  if (!isObject(location)) return null;
  const country = raw.country;
  const subdivisions = raw.subdivisions;
  return {
    lat: location.latitude,
    lon: location.longitude,
    country: country === undefined ? null : isObject(country) ? countryCode(country.iso_code) : undefined,
    city: localisedName(raw.city),
    subdivision:
      subdivisions === undefined ? false : Array.isArray(subdivisions) ? subdivisions.length > 0 : undefined,
    accuracyKm: accuracy(location.accuracy_radius),
  };
}

function flatFields(raw: Json): Fields {
  const state = placeName(raw.state1);
  return {
    lat: raw.latitude,
    lon: raw.longitude,
    country: countryCode(raw.country_code),
    city: placeName(raw.city),
    subdivision: state === undefined ? undefined : state !== null,
    accuracyKm: accuracy(raw.accuracy_radius),
  };
}

/**
 * Degrees within `limit`. Databases store about 4 decimals, so a non-zero magnitude below 1e-6 is a misread
 * double (MaxMind's GeoIP2-City-Test-Broken-Double-Format yields values like 1.8e-52), not a place.
 */
function coordinate(value: unknown, limit: number): number | null {
  if (typeof value !== 'number' || !Number.isFinite(value)) return null;
  const magnitude = Math.abs(value);
  return magnitude <= limit && (magnitude === 0 || magnitude >= 1e-6) ? value : null;
}

export function parseCityRecord(raw: unknown, database: string): GeoLocation | null {
  if (!isObject(raw)) return null;
  const f = 'latitude' in raw ? flatFields(raw) : nestedFields(raw);
  if (f === null) return null;
  const lat = coordinate(f.lat, 90);
  const lon = coordinate(f.lon, 180);
  if (lat === null || lon === null) return null;
  // 0,0 ("Null Island") is what broken pipelines write for "unknown".
  if (lat === 0 && lon === 0) return null;
  if (
    f.country === undefined ||
    f.city === undefined ||
    f.subdivision === undefined ||
    f.accuracyKm === undefined
  ) {
    return null;
  }
  const countryLevel = (f.city === null && !f.subdivision) || KNOWN_CENTROIDS.has(centroidKey(lat, lon));
  return {
    country: f.country,
    city: f.city,
    lat,
    lon,
    accuracyKm: f.accuracyKm,
    precision: countryLevel ? 'country' : 'city',
    source: 'city-db',
    database,
  };
}
