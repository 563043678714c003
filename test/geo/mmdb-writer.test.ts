import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Reader } from 'maxmind';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildMmdb,
  double,
  MmdbNumber,
  type MmdbSpec,
  uint16,
  uint32,
  writeAsnDb,
  writeCityDb,
} from '../helpers/mmdb-writer.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'detourwatch-mmdb-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function read(spec: MmdbSpec) {
  return new Reader(buildMmdb(spec));
}

describe('mmdb writer, read back with the maxmind package', () => {
  it.each([
    [4, 24],
    [4, 28],
    [6, 24],
    [6, 28],
  ] as const)('ip_version %i, record size %i: metadata and lookups', (ipVersion, recordSize) => {
    const reader = read({
      databaseType: 'Writer-Test',
      ipVersion,
      recordSize,
      buildEpoch: 1_234_567_890,
      records: [
        { network: '203.0.113.0/24', data: { name: 'doc-3' } },
        { network: '198.51.100.0/25', data: { name: 'doc-2-low' } },
        { network: '8.8.8.8/32', data: { name: 'host' } },
      ],
    });
    expect(reader.metadata.ipVersion).toBe(ipVersion);
    expect(reader.metadata.recordSize).toBe(recordSize);
    expect(reader.metadata.databaseType).toBe('Writer-Test');
    expect(reader.metadata.buildEpoch.getTime()).toBe(1_234_567_890_000);
    expect(reader.metadata.binaryFormatMajorVersion).toBe(2);
    expect(reader.get('203.0.113.0')).toEqual({ name: 'doc-3' });
    expect(reader.get('203.0.113.255')).toEqual({ name: 'doc-3' });
    expect(reader.get('198.51.100.127')).toEqual({ name: 'doc-2-low' });
    expect(reader.get('198.51.100.128')).toBeNull();
    expect(reader.get('8.8.8.8')).toEqual({ name: 'host' });
    expect(reader.get('8.8.8.9')).toBeNull();
    expect(reader.get('203.0.112.255')).toBeNull();
    expect(reader.getWithPrefixLength('203.0.113.77')[1]).toBe(24);
  });

  it('holds IPv6 networks and IPv4 ones under ::/96 in one IPv6 tree', () => {
    const reader = read({
      databaseType: 'Writer-Test',
      records: [
        { network: '2001:db8::/32', data: 'six' },
        { network: '2001:db8:1::/48', data: 'six-more-specific' },
        { network: '192.0.2.0/24', data: 'four' },
      ],
    });
    expect(reader.get('2001:db8::1')).toBe('six');
    expect(reader.get('2001:db8:1::1')).toBe('six-more-specific');
    expect(reader.get('2001:db8:2::1')).toBe('six');
    expect(reader.get('2001:db9::1')).toBeNull();
    expect(reader.get('192.0.2.200')).toBe('four');
    expect(reader.get('::c000:2c8')).toBe('four');
  });

  it('lets a more specific network split a less specific one, whatever the order given', () => {
    const records = [
      { network: '10.1.2.0/24', data: 'inner' },
      { network: '10.0.0.0/8', data: 'outer' },
    ];
    for (const order of [records, [...records].reverse()]) {
      const reader = read({ databaseType: 'Writer-Test', ipVersion: 4, records: order });
      expect(reader.get('10.1.2.3')).toBe('inner');
      expect(reader.get('10.1.3.3')).toBe('outer');
      expect(reader.get('10.255.0.1')).toBe('outer');
      expect(reader.getWithPrefixLength('10.1.3.3')[1]).toBe(24);
    }
  });

  it('encodes every value type it offers', () => {
    const data = {
      text: 'Zürich, 東京',
      long: 'x'.repeat(300),
      longer: 'y'.repeat(70_000),
      whole: 42,
      fraction: 37.751,
      negative: -97.822,
      explicitDouble: double(40),
      small: uint16(65_535),
      big: uint32(4_294_967_295),
      zero: 0,
      signed: new MmdbNumber('int32', -5),
      float: new MmdbNumber('float', 0.5),
      epoch: 18_446_744_073_709_551_615n,
      yes: true,
      no: false,
      list: ['a', 1, { nested: [true] }],
      empty: {},
    };
    const reader = read({
      databaseType: 'Writer-Test',
      ipVersion: 4,
      records: [{ network: '1.0.0.0/8', data }],
    });
    expect(reader.get('1.2.3.4')).toEqual({
      ...data,
      explicitDouble: 40,
      small: 65_535,
      big: 4_294_967_295,
      signed: -5,
      float: 0.5,
    });
  });

  it('writes 28-bit records whose values need the shared middle nibble (data past 16 MiB)', () => {
    // Strings are at most 16,843,036 bytes, so two large ones push the third record's offset past 2^24.
    const records = [
      { network: '1.0.0.0/8', data: 'a'.repeat(9_000_000) },
      { network: '2.0.0.0/8', data: 'b'.repeat(9_000_000) },
      { network: '3.0.0.0/8', data: 'past 16 MiB' },
      { network: '2001:db8::/32', data: 'six' },
    ];
    const reader = read({ databaseType: 'Writer-Test', recordSize: 28, records });
    expect(reader.get('3.1.1.1')).toBe('past 16 MiB');
    expect(reader.get('2001:db8::5')).toBe('six');
    expect((reader.get('2.1.1.1') as string).length).toBe(9_000_000);
    expect(() => buildMmdb({ databaseType: 'Writer-Test', recordSize: 24, records })).toThrow(/24-bit/);
  });

  it('stores identical records once', () => {
    const one = buildMmdb({
      databaseType: 'Writer-Test',
      ipVersion: 4,
      records: [{ network: '1.0.0.0/8', data: { blob: 'z'.repeat(5000) } }],
    });
    const two = buildMmdb({
      databaseType: 'Writer-Test',
      ipVersion: 4,
      records: [
        { network: '1.0.0.0/8', data: { blob: 'z'.repeat(5000) } },
        { network: '3.0.0.0/8', data: { blob: 'z'.repeat(5000) } },
      ],
    });
    expect(two.length - one.length).toBeLessThan(5000);
  });

  it('refuses what it cannot write', () => {
    expect(() =>
      buildMmdb({ databaseType: 'T', ipVersion: 4, records: [{ network: '2001:db8::/32', data: 1 }] }),
    ).toThrow(/IPv4/);
    expect(() => buildMmdb({ databaseType: 'T', records: [{ network: '1.2.3.4', data: 1 }] })).toThrow(
      /prefix/,
    );
    expect(() => buildMmdb({ databaseType: 'T', records: [{ network: '1.2.3.4/33', data: 1 }] })).toThrow(
      /prefix/,
    );
    expect(() => buildMmdb({ databaseType: 'T', records: [{ network: 'nope/8', data: 1 }] })).toThrow(
      /not an IP/,
    );
  });

  it('writeCityDb writes the GeoIP2 nested shape and the flat shape', () => {
    const entries = [
      {
        network: '203.0.113.0/24',
        country: 'CN',
        city: 'Shanghai',
        lat: 31.2304,
        lon: 121.4737,
        accuracyKm: 20,
      },
      { network: '198.51.100.0/24', country: 'US', city: 'Los Angeles', lat: 34.0522, lon: -118.2437 },
    ];
    const nested = path.join(dir, 'nested.mmdb');
    const flat = path.join(dir, 'flat.mmdb');
    writeCityDb(nested, entries, 'geoip2');
    writeCityDb(flat, entries, 'flat');

    const n = new Reader(readFileSync(nested));
    expect(n.metadata.databaseType).toBe('GeoLite2-City');
    expect(n.get('203.0.113.9')).toMatchObject({
      country: { iso_code: 'CN' },
      city: { names: { en: 'Shanghai' } },
      location: { latitude: 31.2304, longitude: 121.4737, accuracy_radius: 20 },
    });
    expect(n.get('198.51.100.1')).toMatchObject({ location: { latitude: 34.0522, longitude: -118.2437 } });

    const f = new Reader(readFileSync(flat));
    expect(f.get('198.51.100.1')).toMatchObject({
      country_code: 'US',
      city: 'Los Angeles',
      latitude: 34.0522,
      longitude: -118.2437,
    });
    expect(f.get('192.0.2.1')).toBeNull();
  });

  it('writeAsnDb writes GeoLite2-ASN records', () => {
    const file = path.join(dir, 'asn.mmdb');
    writeAsnDb(file, [{ network: '203.0.113.0/24', asn: 4134, org: 'CHINANET-BACKBONE' }]);
    const reader = new Reader(readFileSync(file));
    expect(reader.metadata.databaseType).toBe('GeoLite2-ASN');
    expect(reader.get('203.0.113.1')).toEqual({
      autonomous_system_number: 4134,
      autonomous_system_organization: 'CHINANET-BACKBONE',
    });
  });
});
