/**
 * A small world for end-to-end verdict tests: documentation addresses placed in chosen cities by test databases
 * written with the project's MMDB writer, and RIPE-Atlas-format traces built over them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Analyzer, createAnalyzer } from '../../server/analyze/pipeline.ts';
import { writeAsnDb, writeCityDb } from './mmdb-writer.ts';

export const CITIES = {
  sanJose: { lat: 37.3382, lon: -121.8863 },
  losAngeles: { lat: 34.0522, lon: -118.2437 },
  shanghai: { lat: 31.2304, lon: 121.4737 },
  hangzhou: { lat: 30.2741, lon: 120.1551 },
  washington: { lat: 38.9072, lon: -77.0369 },
  frankfurt: { lat: 50.1109, lon: 8.6821 },
} as const;

/** Which documentation network stands for which router. */
export const NETS = {
  sanJose: '192.0.2.0/26',
  hangzhou: '192.0.2.64/26',
  shanghai: '198.51.100.0/25',
  /** A China Telecom router that really sits in Los Angeles, but which the database places in Shanghai. */
  mislocatedPop: '198.51.100.128/25',
  washington: '203.0.113.0/25',
  frankfurt: '203.0.113.128/25',
  v6SanJose: '2001:db8:1::/48',
  v6Shanghai: '2001:db8:2::/48',
  v6Washington: '2001:db8:3::/48',
} as const;

export function writeWorldDatabases(dir: string): { cityDb: string; asnDb: string } {
  const cityDb = path.join(dir, 'world-city.mmdb');
  const asnDb = path.join(dir, 'world-asn.mmdb');
  const city = (network: string, country: string, name: string, at: { lat: number; lon: number }) => ({
    network,
    country,
    city: name,
    accuracyKm: 20,
    ...at,
  });
  writeCityDb(
    cityDb,
    [
      city(NETS.sanJose, 'US', 'San Jose', CITIES.sanJose),
      city(NETS.hangzhou, 'CN', 'Hangzhou', CITIES.hangzhou),
      city(NETS.shanghai, 'CN', 'Shanghai', CITIES.shanghai),
      city(NETS.mislocatedPop, 'CN', 'Shanghai', CITIES.shanghai),
      city(NETS.washington, 'US', 'Washington', CITIES.washington),
      city(NETS.frankfurt, 'DE', 'Frankfurt am Main', CITIES.frankfurt),
      city(NETS.v6SanJose, 'US', 'San Jose', CITIES.sanJose),
      city(NETS.v6Shanghai, 'CN', 'Shanghai', CITIES.shanghai),
      city(NETS.v6Washington, 'US', 'Washington', CITIES.washington),
    ],
    'geoip2',
  );
  writeAsnDb(asnDb, [
    { network: NETS.sanJose, asn: 64500, org: 'Example West Coast ISP' },
    { network: NETS.hangzhou, asn: 4134, org: 'CHINANET-BACKBONE' },
    { network: NETS.shanghai, asn: 4134, org: 'CHINANET-BACKBONE' },
    { network: NETS.mislocatedPop, asn: 4809, org: 'CHINANET Next Carrying Network' },
    { network: NETS.washington, asn: 64501, org: 'Example East Coast ISP' },
    { network: NETS.frankfurt, asn: 64502, org: 'Example Frankfurt IX' },
    { network: NETS.v6Shanghai, asn: 23764, org: 'China Telecom Global' },
  ]);
  return { cityDb, asnDb };
}

/**
 * The real analyzer over the world's databases, documentation ranges looked up. The files are read when the
 * analyzer is created, so the temporary directory is gone by the time it is returned.
 */
export function createWorldAnalyzer(): Analyzer {
  const dir = mkdtempSync(path.join(tmpdir(), 'dw-world-'));
  try {
    return createAnalyzer({ ...writeWorldDatabases(dir), lookUpDocumentation: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One TTL: the replies' [address, rtt] pairs; null address for a timeout. */
export type WorldHop = Array<[string | null, number | null]>;

/** A RIPE Atlas traceroute result (ICMP, Paris id 1: flow-stable) over the given hops. */
export function atlasTrace(src: string, dst: string, hops: WorldHop[]): Record<string, unknown> {
  return {
    af: src.includes(':') ? 6 : 4,
    dst_addr: dst,
    src_addr: src,
    from: src,
    proto: 'ICMP',
    paris_id: 1,
    msm_id: 1,
    prb_id: 1,
    timestamp: 1_760_000_000,
    type: 'traceroute',
    result: hops.map((replies, i) => ({
      hop: i + 1,
      result: replies.map(([from, rtt]) => (from === null ? { x: '*' } : { from, rtt, ttl: 250 })),
    })),
  };
}
