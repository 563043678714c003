/**
 * The namespace lab's world for the scheduled-agent test: one agent that reaches two targets, and test
 * databases that place every router's answering address. Path A, agent -- r1 -- r2 -- r3 -- ta, crosses a
 * router the database puts in Shanghai (a detour); path B, agent -- r1 -- r4 -- tb, stays in the US.
 */
import path from 'node:path';
import { greatCircleKm } from '../../server/physics/great-circle.ts';
import { CITIES } from '../helpers/analyze-world.ts';
import { writeAsnDb, writeCityDb } from '../helpers/mmdb-writer.ts';
import type { LinkSpec, TopologySpec } from '../helpers/netns.ts';

export interface Place {
  country: string;
  city: string;
  lat: number;
  lon: number;
  asn: number;
  org: string;
}

export const LOS_ANGELES: Place = {
  country: 'US',
  city: 'Los Angeles',
  ...CITIES.losAngeles,
  asn: 64500,
  org: 'Example West Coast ISP',
};
const SAN_JOSE: Place = {
  country: 'US',
  city: 'San Jose',
  ...CITIES.sanJose,
  asn: 64500,
  org: 'Example West Coast ISP',
};
const SHANGHAI: Place = {
  country: 'CN',
  city: 'Shanghai',
  ...CITIES.shanghai,
  asn: 4134,
  org: 'CHINANET-BACKBONE',
};
const WASHINGTON: Place = {
  country: 'US',
  city: 'Washington',
  ...CITIES.washington,
  asn: 64501,
  org: 'Example East Coast ISP',
};

/**
 * A link, listed from the agent's side (a) outwards (b): node b answers expired probes from its address on
 * this link, so the database places the link's network where node b is said to be.
 */
export interface PlacedLink extends LinkSpec {
  net4: string;
  far: Place;
}

export const LAB_LINKS: readonly PlacedLink[] = [
  { a: 'agent', b: 'r1', net4: '192.0.2.0/29', far: LOS_ANGELES },
  { a: 'r1', b: 'r2', net4: '198.51.100.0/29', far: SHANGHAI },
  { a: 'r2', b: 'r3', net4: '203.0.113.0/29', far: WASHINGTON },
  { a: 'r3', b: 'ta', net4: '203.0.113.8/29', far: WASHINGTON },
  { a: 'r1', b: 'r4', net4: '192.0.2.16/29', far: SAN_JOSE },
  { a: 'r4', b: 'tb', net4: '203.0.113.16/29', far: WASHINGTON },
];

export const DETOUR_LAB: TopologySpec = {
  nodes: [
    { name: 'agent' },
    ...['r1', 'r2', 'r3', 'r4'].map((name) => ({ name, router: true })),
    { name: 'ta' },
    { name: 'tb' },
  ],
  links: LAB_LINKS.map(({ a, b, net4 }) => ({ a, b, net4 })),
};

/** The two paths, as node names from the agent to the target: what each trace must show hop by hop. */
export const PATHS = {
  detour: ['agent', 'r1', 'r2', 'r3', 'ta'],
  domestic: ['agent', 'r1', 'r4', 'tb'],
} as const;

/** Where the database places node `name` (the far side of the link that leads to it). */
export function placeOf(name: string): Place {
  const link = LAB_LINKS.find((l) => l.b === name);
  if (link === undefined) throw new Error(`lab-world: no link leads to ${name}`);
  return link.far;
}

/** City and ASN databases placing every link network of the lab; returns their paths. */
export function writeLabDatabases(dir: string): { cityDb: string; asnDb: string } {
  const cityDb = path.join(dir, 'lab-city.mmdb');
  const asnDb = path.join(dir, 'lab-asn.mmdb');
  writeCityDb(
    cityDb,
    LAB_LINKS.map(({ net4, far }) => ({
      network: net4,
      country: far.country,
      city: far.city,
      lat: far.lat,
      lon: far.lon,
      accuracyKm: 20,
    })),
    'geoip2',
  );
  writeAsnDb(
    asnDb,
    LAB_LINKS.map(({ net4, far }) => ({ network: net4, asn: far.asn, org: far.org })),
  );
  return { cityDb, asnDb };
}

/** The tools print RTTs to the microsecond: the smallest non-zero RTT any of them can report. */
export const SMALLEST_REPORTED_RTT_MS = 0.001;

/**
 * A km-per-ms bound under which no RTT this lab can report refutes any placement: the longest loop a reply
 * can be asked to cover (agent -> any placed router -> any other -> agent, which is at least the own-RTT and the
 * later-reply claims of refutation.ts) divided by the smallest reportable RTT. The namespaces add no delay
 * (no netem in this kernel), so with the real 100 km/ms every distant claim would be refuted, and rightly.
 */
export function labKmPerMs(agent: { lat: number; lon: number }): number {
  const places = LAB_LINKS.map((l) => l.far);
  let longest = 0;
  for (const p of places) {
    for (const q of places) {
      longest = Math.max(longest, greatCircleKm(agent, p) + greatCircleKm(p, q) + greatCircleKm(q, agent));
    }
  }
  return Math.ceil(longest / SMALLEST_REPORTED_RTT_MS);
}
