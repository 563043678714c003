import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DetourwatchError } from '../../protocol/errors.ts';
import { openAsnDb } from '../../server/geo/asn-db.ts';
import {
  addressWords,
  openEmbeddedAsnRanges,
  parseAsnRangesV4,
  parseAsnRangesV6,
} from '../../server/geo/asn-ranges.ts';
import { parseAsnRecord } from '../../server/geo/asn-record.ts';
import { writeAsnDb, writeCityDb } from '../helpers/mmdb-writer.ts';
import { haveMaxmind, maxmindDir, warnIfNoMaxmind } from './fixtures.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'detourwatch-asn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function thrownBy(fn: () => unknown): DetourwatchError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DetourwatchError) return err;
    throw new Error(`expected a DetourwatchError, got ${String(err)}`);
  }
  throw new Error('expected a DetourwatchError, nothing was thrown');
}

const v4 = (address: string) => addressWords(address, 4) as number[];
const v6 = (address: string) => addressWords(address, 6) as number[];
const num = (address: string) => String(v4(address)[0]);

describe('parseAsnRangesV4 (asn-ipv4-num.csv)', () => {
  const csv = [
    `${num('1.0.0.0')},${num('1.0.0.255')},13335,"Cloudflare, Inc."`,
    `${num('1.0.4.0')},${num('1.0.7.255')},38803,Gtelecom Pty Ltd`,
    `${num('2.0.0.0')},${num('2.0.0.255')},64500,"LLC ""SPUTNIK"""`,
    // Overlaps the next range's start (as one pair of rows in the real file does).
    `${num('3.0.0.0')},${num('3.0.1.255')},749,First`,
    `${num('3.0.1.0')},${num('3.0.2.255')},721,Second`,
    `${num('4.0.0.0')},${num('4.0.0.255')},64501,`,
    '',
  ].join('\r\n');
  const table = parseAsnRangesV4(csv, 'test.csv');

  it('counts ranges and deduplicated organisations', () => {
    expect(table.ranges).toBe(6);
    expect(table.organisations).toBe(5);
  });

  it.each([
    ['1.0.0.0', 13335, 'Cloudflare, Inc.'],
    ['1.0.0.255', 13335, 'Cloudflare, Inc.'],
    ['1.0.5.9', 38803, 'Gtelecom Pty Ltd'],
    ['2.0.0.1', 64500, 'LLC "SPUTNIK"'],
    ['3.0.0.200', 749, 'First'],
    ['3.0.1.1', 721, 'Second'],
    ['3.0.2.255', 721, 'Second'],
    ['4.0.0.1', 64501, null],
  ])('%s -> AS%i %s', (address, asn, org) => {
    expect(table.lookup(v4(address))).toEqual({ asn, org, database: 'test.csv' });
  });

  it.each(['0.0.0.1', '1.0.1.0', '1.0.3.255', '3.0.3.0', '255.255.255.255'])(
    '%s is in no range',
    (address) => {
      expect(table.lookup(v4(address))).toBeNull();
    },
  );

  it.each([
    ['an unclosed quote', '1,2,3,"Cloudflare, Inc.\n', 2, /never closed/],
    ['text after a quote', '1,2,3,"a"b\n', 2, /text after its closing quote/],
    ['an undoubled quote inside quotes', '1,2,3,"a"b"\n', 2, /not doubled/],
    ['a stray quote in an unquoted name', '1,2,3,a"b\n', 2, /comma or quote/],
    ['too few fields', '1,2,3\n', 2, /4 fields/],
    ['too many fields', '1,2,3,a,b\n', 2, /4 fields/],
    ['a bound that is not a number', 'x,2,3,a\n', 2, /not an address range/],
    ['a bound beyond 32 bits', '1,4294967296,3,a\n', 2, /not an address range/],
    ['an empty bound', ',2,3,a\n', 2, /not an address range/],
    ['a range ending before it starts', '5,2,3,a\n', 2, /ends before it starts/],
    ['AS0', '1,2,0,a\n', 2, /AS number/],
    ['a fractional AS', '1,2,1.5,a\n', 2, /AS number/],
    ['unsorted rows', '10,20,3,a\n1,2,3,b\n', 3, /sorted/],
    ['a range inside an earlier one', '1,100,3,a\n10,20,4,b\n', 3, /inside an earlier/],
    ['a control character in a name', '1,2,3,"a\u0007b"\n', 2, /control/],
  ] as const)('refuses %s with DB_OPEN_FAILED naming the line', (_what, text, line, problem) => {
    const err = thrownBy(() =>
      parseAsnRangesV4(`${num('0.0.0.0')},${num('0.0.0.0')},1,zero\n${text}`, 'bad.csv'),
    );
    expect(err.code).toBe('DB_OPEN_FAILED');
    expect(err.message).toContain(`bad.csv, line ${line}:`);
    expect(err.message).toMatch(problem);
  });
});

describe('parseAsnRangesV6 (asn-ipv6.csv)', () => {
  const table = parseAsnRangesV6(
    [
      '2001::,2001::ffff:ffff:ffff:ffff:ffff:ffff,6939,Hurricane Electric LLC',
      '2001:200:1ba::,2001:200:1ba:ffff:ffff:ffff:ffff:ffff,24047,"Internet Systems Consortium, Inc."',
      '2600::,2600:ffff:ffff:ffff:ffff:ffff:ffff:ffff,1239,Sprint',
    ].join('\n'),
    'v6.csv',
  );

  it.each([
    ['2001::1', 6939],
    ['2001:0:ffff::1', 6939],
    ['2001:200:1ba:5::1', 24047],
    ['2600:1234::1', 1239],
    ['2600:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 1239],
  ])('%s -> AS%i', (address, asn) => {
    expect(table.lookup(v6(address))?.asn).toBe(asn);
  });

  it.each(['2001:1::', '2001:200:1b9:ffff::1', '2601::1', '::1'])('%s is in no range', (address) => {
    expect(table.lookup(v6(address))).toBeNull();
  });

  it('refuses a bound that is not IPv6', () => {
    const err = thrownBy(() => parseAsnRangesV6('2001::,2001::zz,1,a\n', 'v6.csv'));
    expect(err.message).toMatch(/line 1.*not an address range/);
  });
});

describe('parseAsnRecord', () => {
  it.each([
    [
      { autonomous_system_number: 7018, autonomous_system_organization: 'AT&T Services' },
      7018,
      'AT&T Services',
    ],
    [{ autonomous_system_number: 64512 }, 64512, null],
  ])('reads %j', (raw, asn, org) => {
    expect(parseAsnRecord(raw, 'x.mmdb')).toEqual({ asn, org, database: 'x.mmdb' });
  });

  it.each([
    null,
    'AS7018',
    [7018],
    { ip: 'test' },
    { autonomous_system_number: 0 },
    { autonomous_system_number: -1 },
    { autonomous_system_number: 4_294_967_295 },
    { autonomous_system_number: 1.5 },
    { autonomous_system_number: '7018' },
    { autonomous_system_number: 7018, autonomous_system_organization: 42 },
    { autonomous_system_number: 7018, autonomous_system_organization: 'x'.repeat(1000) },
  ])('rejects %j', (raw) => {
    expect(parseAsnRecord(raw, 'x')).toBeNull();
  });
});

describe('openAsnDb on written databases', () => {
  it('looks up IPv4 and IPv6 networks', () => {
    const file = path.join(dir, 'asn.mmdb');
    writeAsnDb(file, [
      { network: '203.0.113.0/24', asn: 4134, org: 'CHINANET-BACKBONE' },
      { network: '2001:db8::/32', asn: 23764, org: 'China Telecom Global' },
    ]);
    const db = openAsnDb(file);
    expect(db.lookup('203.0.113.9', 4)).toEqual({
      asn: 4134,
      org: 'CHINANET-BACKBONE',
      database: 'asn.mmdb',
    });
    expect(db.lookup('2001:db8::9', 6)?.asn).toBe(23764);
    expect(db.lookup('198.51.100.1', 4)).toBeNull();
    expect(db.describe()[0]).toContain('GeoLite2-ASN');
  });

  it('a City database given as the ASN database: DB_WRONG_KIND', () => {
    const file = path.join(dir, 'city.mmdb');
    writeCityDb(file, [{ network: '203.0.113.0/24', country: 'CN', lat: 31, lon: 121 }], 'geoip2');
    const err = thrownBy(() => openAsnDb(file));
    expect(err.code).toBe('DB_WRONG_KIND');
    expect(err.message).toContain('GeoLite2-City');
    expect(err.message).toContain(file);
  });

  it('a missing file: DB_OPEN_FAILED', () => {
    expect(thrownBy(() => openAsnDb(path.join(dir, 'missing.mmdb'))).code).toBe('DB_OPEN_FAILED');
  });
});

warnIfNoMaxmind('MaxMind ASN test databases');
describe.skipIf(!haveMaxmind)('MaxMind GeoLite2-ASN-Test', () => {
  const file = path.join(maxmindDir, 'test-data', 'GeoLite2-ASN-Test.mmdb');

  it('12.81.92.0 is AS7018', () => {
    expect(openAsnDb(file).lookup('12.81.92.0', 4)?.asn).toBe(7018);
  });

  it('every network of its source data reads back as the source says', () => {
    const db = openAsnDb(file);
    const source = JSON.parse(
      readFileSync(path.join(maxmindDir, 'source-data', 'GeoLite2-ASN-Test.json'), 'utf8'),
    ) as Record<string, { autonomous_system_number: number; autonomous_system_organization?: string }>[];
    let compared = 0;
    for (const [network, record] of source.flatMap((e) => Object.entries(e))) {
      let address = network.split('/')[0] as string;
      if (address.startsWith('::') && address.includes('.')) address = address.slice(2);
      expect(db.lookup(address, address.includes(':') ? 6 : 4)).toEqual({
        asn: record.autonomous_system_number,
        org: record.autonomous_system_organization ?? null,
        database: 'GeoLite2-ASN-Test.mmdb',
      });
      compared++;
    }
    expect(compared).toBeGreaterThan(100);
  });

  it('GeoIP2-ISP-Test (same fields) is accepted; a City database is not', () => {
    expect(openAsnDb(path.join(maxmindDir, 'test-data', 'GeoIP2-ISP-Test.mmdb')).describe()[0]).toContain(
      'ISP',
    );
    expect(thrownBy(() => openAsnDb(path.join(maxmindDir, 'test-data', 'GeoIP2-City-Test.mmdb'))).code).toBe(
      'DB_WRONG_KIND',
    );
  });
});

describe('the embedded ASN default (@ip-location-db/asn)', () => {
  const asn = openEmbeddedAsnRanges();

  it('loads nothing until asked', () => {
    expect(asn.describe().every((line) => line.includes('loads on first use'))).toBe(true);
  });

  it('knows Google Public DNS over IPv4 and IPv6, loading each table once', () => {
    const began = performance.now();
    const four = asn.lookup('8.8.8.8', 4);
    const v4Ms = performance.now() - began;
    const six = asn.lookup('2001:4860:4860::8888', 6);
    const bothMs = performance.now() - began;
    console.info(
      `embedded ASN tables: IPv4 loaded in ${Math.round(v4Ms)} ms, IPv6 in ${Math.round(bothMs - v4Ms)} ms`,
    );
    expect(four?.asn).toBe(15169);
    expect(six?.asn).toBe(15169);
    expect(four?.org).toMatch(/google/i);
    expect(four?.database).toBe('asn-ipv4-num.csv');
    expect(six?.database).toBe('asn-ipv6.csv');
    const lines = asn.describe();
    expect(lines.some((l) => l.includes('loads on first use'))).toBe(false);
    // Both tables hold hundreds of thousands of ranges between them.
    const ranges = lines.map((l) => Number(/\(([\d,]+) ranges/.exec(l)?.[1]?.replaceAll(',', '') ?? 0));
    expect(ranges[0]).toBeGreaterThan(100_000);
    expect(ranges[1]).toBeGreaterThan(10_000);
  });

  it('parses quoted organisation names with commas', () => {
    expect(asn.lookup('1.1.1.1', 4)?.org).toContain(',');
  });
});
