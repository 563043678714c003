import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DetourwatchError } from '../../protocol/errors.ts';
import type { Trace } from '../../protocol/trace.ts';
import { openAsnDb } from '../../server/geo/asn-db.ts';
import { openCityDb } from '../../server/geo/city-db.ts';
import { createLocator, locatorFrom } from '../../server/geo/locator.ts';
import type { AsnSource, CitySource } from '../../server/geo/sources.ts';
import { writeAsnDb, writeCityDb } from '../helpers/mmdb-writer.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'detourwatch-locator-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A lab-style world: documentation addresses placed in chosen cities.
const cityDb = path.join(dir, 'city.mmdb');
const asnDb = path.join(dir, 'asn.mmdb');
writeCityDb(
  cityDb,
  [
    {
      network: '192.0.2.0/24',
      country: 'US',
      city: 'San Jose',
      lat: 37.3382,
      lon: -121.8863,
      accuracyKm: 10,
    },
    { network: '198.51.100.0/24', country: 'US', city: 'Los Angeles', lat: 34.0522, lon: -118.2437 },
    { network: '203.0.113.0/24', country: 'CN', city: 'Shanghai', lat: 31.2304, lon: 121.4737 },
    { network: '2001:db8:1::/48', country: 'US', lat: 37.751, lon: -97.822 },
    // A database that (wrongly) answers for private space must still never be asked about it.
    { network: '10.0.0.0/8', country: 'AU', city: 'Sydney', lat: -33.8688, lon: 151.2093 },
    { network: '8.8.8.0/24', country: 'US', city: 'Mountain View', lat: 37.386, lon: -122.0838 },
  ],
  'geoip2',
);
writeAsnDb(asnDb, [
  { network: '203.0.113.0/24', asn: 4134, org: 'CHINANET-BACKBONE' },
  { network: '198.51.100.0/24', asn: 7018, org: 'AT&T Services' },
  { network: '10.0.0.0/8', asn: 64512, org: 'Should Never Appear' },
]);

function trace(source: string | null, hops: (string | null)[][]): Trace {
  return {
    tool: 'scamper',
    method: 'icmp-paris',
    ipVersion: 4,
    source: { address: source },
    destination: { address: '198.51.100.80' },
    startedAt: null,
    hops: hops.map((addresses, i) => ({
      ttl: i + 1,
      replies: addresses.map((address) => ({ address, rttMs: address ? 1 + i : null })),
    })),
  };
}

/** Wraps real sources to count the lookups that reach them. */
function counting(city: CitySource, asn: AsnSource) {
  const calls = { city: 0, asn: 0 };
  return {
    calls,
    city: {
      ...city,
      lookup: (a: string, v: 4 | 6) => {
        calls.city++;
        return city.lookup(a, v);
      },
    },
    asn: {
      ...asn,
      lookup: (a: string, v: 4 | 6) => {
        calls.asn++;
        return asn.lookup(a, v);
      },
    },
  };
}

describe('createLocator with user databases', () => {
  const lab = createLocator({ cityDb, asnDb, lookUpDocumentation: true });

  it('places documentation addresses when asked to (lab mode)', () => {
    const info = lab.locate('203.0.113.7');
    // Judged as global in lab mode: documentation space stands in for the public Internet there.
    expect(info.class).toBe('global');
    expect(info.location).toMatchObject({
      country: 'CN',
      city: 'Shanghai',
      source: 'city-db',
      database: 'city.mmdb',
    });
    expect(info.asn).toEqual({ asn: 4134, org: 'CHINANET-BACKBONE', database: 'asn.mmdb' });
  });

  it('never looks up documentation addresses by default', () => {
    const plain = createLocator({ cityDb, asnDb });
    expect(plain.locate('203.0.113.7')).toEqual({
      address: '203.0.113.7',
      class: 'documentation',
      location: null,
      asn: null,
    });
  });

  it.each(['10.1.2.3', '::ffff:10.1.2.3', '127.0.0.1', '100.64.0.1', '169.254.0.1', '224.0.0.5', 'fe80::1'])(
    'never looks up the special address %s, even in lab mode',
    (address) => {
      const info = lab.locate(address);
      expect(info.class).not.toBe('global');
      expect(info.location).toBeNull();
      expect(info.asn).toBeNull();
    },
  );

  it('looks up global addresses, IPv4-mapped ones as IPv4', () => {
    expect(lab.locate('8.8.8.8').location?.city).toBe('Mountain View');
    expect(lab.locate('::ffff:8.8.8.8').location?.city).toBe('Mountain View');
    expect(lab.locate('8.8.9.9').location).toBeNull();
  });

  it('caches each address', () => {
    expect(lab.locate('198.51.100.1')).toBe(lab.locate('198.51.100.1'));
  });

  it('throws PARSE_FAILED for text that is not an address', () => {
    expect(() => lab.locate('not-an-ip')).toThrow(DetourwatchError);
  });

  it('describes its databases and mode', () => {
    const text = lab.describe().join('\n');
    expect(text).toContain('city.mmdb');
    expect(text).toContain('asn.mmdb');
    expect(text).toContain('looked up (test/lab mode)');
  });

  it('reports a bad database path at creation', () => {
    expect(() => createLocator({ cityDb: path.join(dir, 'missing.mmdb') })).toThrow(/missing\.mmdb/);
    expect(() => createLocator({ cityDb: asnDb })).toThrow(DetourwatchError);
  });
});

describe('annotate', () => {
  const lab = createLocator({ cityDb, asnDb, lookUpDocumentation: true });

  it('annotates every distinct address once, including source and destination', () => {
    const c = counting(openCityDb(cityDb), openAsnDb(asnDb));
    const locator = locatorFrom(c.city, c.asn, true);
    const t = trace('192.0.2.10', [
      ['10.0.0.1', '10.0.0.1', '10.0.0.1'],
      ['203.0.113.1', null, '203.0.113.2'],
      ['203.0.113.1', '203.0.113.1', '203.0.113.1'],
      ['198.51.100.80', '198.51.100.80', '198.51.100.80'],
    ]);
    const annotated = locator.annotate(t);
    expect(Object.keys(annotated.addresses).sort()).toEqual(
      ['10.0.0.1', '192.0.2.10', '198.51.100.80', '203.0.113.1', '203.0.113.2'].sort(),
    );
    // 10.0.0.1 is private: never looked up; the other four once each.
    expect(c.calls).toEqual({ city: 4, asn: 4 });
    locator.annotate(t);
    expect(c.calls).toEqual({ city: 4, asn: 4 });
    expect(annotated.trace).toBe(t);
    expect(annotated.addresses['203.0.113.2']?.location?.country).toBe('CN');
    expect(annotated.addresses['10.0.0.1']?.location).toBeNull();
  });

  it("derives the prober's position from a located source address", () => {
    const annotated = lab.annotate(trace('192.0.2.10', [['203.0.113.1']]));
    expect(annotated.sourcePosition).toEqual({ lat: 37.3382, lon: -121.8863, source: 'city-db' });
  });

  it('keeps a declared position', () => {
    const declared = { lat: 40.7128, lon: -74.006, source: 'declared' as const };
    expect(lab.annotate(trace('192.0.2.10', [['203.0.113.1']]), declared).sourcePosition).toBe(declared);
  });

  it.each([
    ['a private source', '10.9.9.9'],
    ['no source address', null],
    ['a source the database does not know', '8.8.9.1'],
    ['a source placed only at a country centroid', '2001:db8:1::5'],
  ])('has no position for %s', (_what, source) => {
    expect(lab.annotate(trace(source, [['203.0.113.1']])).sourcePosition).toBeNull();
  });

  it('does not mistake an address named like an Object property for a known one', () => {
    expect(() => lab.annotate(trace('constructor', [['203.0.113.1']]))).toThrow(DetourwatchError);
  });
});

describe('createLocator with the embedded defaults', () => {
  it('annotates a public trace and describes what it loaded', () => {
    const locator = createLocator();
    const annotated = locator.annotate(trace('8.8.8.8', [['192.168.1.1'], ['1.1.1.1'], ['8.8.4.4']]));
    expect(annotated.addresses['8.8.8.8']?.location?.country).toBe('US');
    expect(annotated.addresses['8.8.8.8']?.asn?.asn).toBe(15169);
    expect(annotated.addresses['192.168.1.1']?.location).toBeNull();
    // A source placed at city precision is where the prober is measured from; a country centroid is not.
    const source = annotated.addresses['8.8.8.8']?.location;
    expect(annotated.sourcePosition).toEqual(
      source?.precision === 'city' ? { lat: source.lat, lon: source.lon, source: 'city-db' } : null,
    );
    const lines = locator.describe();
    expect(lines.join('\n')).toMatch(/geolite2-city-ipv4\.mmdb/);
    expect(lines.join('\n')).toMatch(/asn-ipv4-num\.csv .*ranges/);
    expect(lines.join('\n')).toContain('never looked up');
  });
});
