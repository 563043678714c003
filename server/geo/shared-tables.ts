/**
 * The geolocation tables one thread loads and its worker threads share (`analyze --jobs N`): the embedded ASN
 * tables' columns and every mmdb file's bytes, in SharedArrayBuffers, so N workers neither parse the ASN CSV
 * (~0.5 s and ~200 MB each) nor read and hash the City files again. Plain data: it goes in `workerData`.
 */
import { adoptEmbeddedAsnRows, embeddedAsnRowsToShare, type LoadedAsnRows } from './asn-ranges.ts';
import { embeddedCityPaths } from './city-db.ts';
import type { LocatorOptions } from './locator.ts';
import { adoptMmdbBytes, type SharedMmdbBytes, shareMmdbBytes } from './mmdb-file.ts';

export interface SharedGeoTables {
  asn: Record<string, LoadedAsnRows>;
  mmdb: Record<string, SharedMmdbBytes>;
}

/** Loads (or reuses) the tables `createLocator(options)` opens, ready to hand to workers. */
export function shareGeoTables(options: Pick<LocatorOptions, 'cityDb' | 'asnDb'>): SharedGeoTables {
  const cityPaths = options.cityDb === undefined ? Object.values(embeddedCityPaths()) : [options.cityDb];
  const mmdbPaths = options.asnDb === undefined ? cityPaths : [...cityPaths, options.asnDb];
  return {
    asn: options.asnDb === undefined ? embeddedAsnRowsToShare() : {},
    mmdb: Object.fromEntries(mmdbPaths.flatMap((path) => readable(path))),
  };
}

/** A file that cannot be read now is left to the worker, which opens it itself and reports why it cannot. */
function readable(path: string): [string, SharedMmdbBytes][] {
  try {
    return [[path, shareMmdbBytes(path)]];
  } catch {
    return [];
  }
}

/** In a worker: the locators it opens afterwards use these instead of reading the files. */
export function adoptGeoTables(tables: SharedGeoTables): void {
  adoptEmbeddedAsnRows(tables.asn);
  adoptMmdbBytes(tables.mmdb);
}
