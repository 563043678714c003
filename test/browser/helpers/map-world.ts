/**
 * A small world for the map's end-to-end tests: documentation addresses placed in real cities by test
 * databases written with the project's MMDB writer, and traceroute text (Debian traceroute 2.1's format) that
 * an agent sends through the coordinator's real ingest path. The verdicts are the analysis's own.
 */
import path from 'node:path';
import { writeAsnDb, writeCityDb } from '../../helpers/mmdb-writer.ts';

/**
 * Hostile text: in a reverse name (no spaces, as traceroute prints names; not wholly inside <...>, which
 * traceroute uses for its extension notes), an organisation, an agent name.
 */
export const HOSTILE_NAME = '<img/src=x/onerror=window.__pwned=1>.evil.example';
export const HOSTILE_ORG = '<img src=x onerror="window.__pwned=2">';
export const HOSTILE_AGENT = '<b onmouseover=alert(3)>volunteer</b>';

/** Where the test City database puts each city. */
export const PLACE = {
  sanJose: { lat: 37.3382, lon: -121.8863 },
  losAngeles: { lat: 34.0522, lon: -118.2437 },
  hangzhou: { lat: 30.2741, lon: 120.1551 },
  shanghai: { lat: 31.2304, lon: 121.4737 },
  frankfurt: { lat: 50.1109, lon: 8.6821 },
  london: { lat: 51.5074, lon: -0.1278 },
  japan: { lat: 35.68, lon: 139.76 },
  newYork: { lat: 40.7128, lon: -74.006 },
  washington: { lat: 38.9072, lon: -77.0369 },
  chicago: { lat: 41.8781, lon: -87.6298 },
} as const;

/** The agents' declared locations (the physics measures from here). */
export const SAN_JOSE = PLACE.sanJose;
export const NEW_YORK = PLACE.newYork;

/** Routers by city: one address each, in a network the test databases place there. */
export const ROUTER = {
  sanJose: '192.0.2.1',
  losAngeles: '192.0.2.33',
  hangzhou: '192.0.2.65',
  shanghai: '192.0.2.97',
  frankfurt: '192.0.2.129',
  /** The database says London; it answers far too fast for that. */
  fakeLondon: '192.0.2.161',
  /** Known to the database only as "Japan" (no city): a country-level placement. */
  japan: '192.0.2.193',
  newYork: '198.51.100.1',
  washington: '198.51.100.129',
  chicago: '203.0.113.1',
} as const;

/** The country the test City database gives each router (what the hop table must show). */
export const COUNTRY_OF: Record<string, string> = {
  [ROUTER.sanJose]: 'US',
  [ROUTER.losAngeles]: 'US',
  [ROUTER.hangzhou]: 'CN',
  [ROUTER.shanghai]: 'CN',
  [ROUTER.frankfurt]: 'DE',
  [ROUTER.fakeLondon]: 'GB',
  [ROUTER.japan]: 'JP',
  [ROUTER.newYork]: 'US',
  [ROUTER.washington]: 'US',
  [ROUTER.chicago]: 'US',
};

export function writeMapWorld(dir: string): { cityDb: string; asnDb: string } {
  const cityDb = path.join(dir, 'map-city.mmdb');
  const asnDb = path.join(dir, 'map-asn.mmdb');
  const at = (
    network: string,
    country: string,
    city: string | undefined,
    p: { lat: number; lon: number },
  ) => ({
    network,
    country,
    ...(city === undefined ? {} : { city }),
    ...p,
    accuracyKm: 20,
  });
  writeCityDb(
    cityDb,
    [
      at('192.0.2.0/27', 'US', 'San Jose', PLACE.sanJose),
      at('192.0.2.32/27', 'US', 'Los Angeles', PLACE.losAngeles),
      at('192.0.2.64/27', 'CN', 'Hangzhou', PLACE.hangzhou),
      at('192.0.2.96/27', 'CN', 'Shanghai', PLACE.shanghai),
      at('192.0.2.128/27', 'DE', 'Frankfurt am Main', PLACE.frankfurt),
      at('192.0.2.160/27', 'GB', 'London', PLACE.london),
      at('192.0.2.192/27', 'JP', undefined, PLACE.japan),
      at('198.51.100.0/25', 'US', 'New York', PLACE.newYork),
      at('198.51.100.128/25', 'US', 'Washington', PLACE.washington),
      at('203.0.113.0/25', 'US', 'Chicago', PLACE.chicago),
    ],
    'geoip2',
  );
  writeAsnDb(asnDb, [
    { network: '192.0.2.0/26', asn: 64500, org: 'Example West Coast ISP' },
    { network: '192.0.2.64/26', asn: 4134, org: 'CHINANET-BACKBONE' },
    { network: '192.0.2.128/27', asn: 3320, org: 'Deutsche Telekom AG' },
    { network: '192.0.2.160/27', asn: 64510, org: 'Example Carrier UK' },
    { network: '192.0.2.192/27', asn: 64999, org: HOSTILE_ORG },
    { network: '198.51.100.0/24', asn: 64501, org: 'Example East Coast ISP' },
    { network: '203.0.113.0/25', asn: 64502, org: 'Example Midwest ISP' },
  ]);
  return { cityDb, asnDb };
}

/** One hop line's host: an address, or `name (address)` as traceroute prints names. */
type Host = string | { name: string; ip: string };

/** Traceroute 2.1 text: each hop is a host answering three probes with these RTTs, or null for `* * *`. */
export function tracerouteText(target: string, hops: ([Host, number] | null)[]): string {
  const lines = hops.map((hop, i) => {
    const ttl = String(i + 1).padStart(2);
    if (hop === null) return `${ttl}  * * *`;
    const [host, rtt] = hop;
    const shown = typeof host === 'string' ? host : `${host.name} (${host.ip})`;
    const rtts = [rtt, rtt + 0.21, rtt + 0.35].map((r) => `${r.toFixed(3)} ms`).join('  ');
    return `${ttl}  ${shown}  ${rtts}`;
  });
  return `traceroute to ${target} (${target}), 30 hops max, 60 byte packets\n${lines.join('\n')}\n`;
}

/**
 * scamper's JSON for one ICMP Paris trace (the format of `scamper -O json -c "trace -P icmp-paris"`): a
 * flow-stable trace, so later replies may confirm or refute a claim. Hops: [address, rtt] or null (silent).
 */
export function scamperTrace(
  src: string,
  dst: string,
  startSec: number,
  hops: ([string, number] | null)[],
): string {
  const replies = hops.flatMap((hop, i) =>
    hop === null
      ? []
      : [
          {
            addr: hop[0],
            probe_ttl: i + 1,
            probe_id: 1,
            probe_size: 44,
            tx: { sec: startSec, usec: 1000 * (i + 1) },
            rtt: hop[1],
            reply_ttl: 250 - i,
            reply_tos: 0,
            reply_ipid: 1000 + i,
            reply_size: 56,
            icmp_type: hop[0] === dst ? 0 : 11,
            icmp_code: 0,
          },
        ],
  );
  const trace = {
    type: 'trace',
    version: '0.1',
    userid: 0,
    method: 'icmp-echo-paris',
    src,
    dst,
    icmp_sum: 44238,
    stop_reason: 'COMPLETED',
    stop_data: 0,
    start: {
      sec: startSec,
      usec: 0,
      ftime: new Date(startSec * 1000).toISOString().slice(0, 19).replace('T', ' '),
    },
    hop_count: hops.length,
    attempts: 1,
    hoplimit: 0,
    firsthop: 1,
    wait: 5,
    wait_probe: 0,
    tos: 0,
    probe_size: 44,
    probe_count: replies.length,
    hops: replies,
  };
  return [
    { type: 'cycle-start', list_name: 'default', id: 0, hostname: 'agent', start_time: startSec },
    trace,
    { type: 'cycle-stop', list_name: 'default', id: 0, hostname: 'agent', stop_time: startSec + 2 },
  ]
    .map((line) => JSON.stringify(line))
    .join('\n');
}

/**
 * From San Jose to Washington through Hangzhou and Shanghai, flow-stable, with the RTTs such a trip needs:
 * the analysis should call it a confirmed detour.
 */
export function sanJoseViaChina(startSec: number): string {
  return scamperTrace('192.0.2.20', ROUTER.washington, startSec, [
    ['10.0.0.1', 0.4],
    [ROUTER.sanJose, 1.1],
    [ROUTER.hangzhou, 142.3],
    [ROUTER.shanghai, 146.8],
    null,
    [ROUTER.washington, 251.6],
  ]);
}

/**
 * From New York to Chicago through Frankfurt, slow enough for Frankfurt, with a hop the database puts in
 * London answering in 2 ms (refuted): a detour the RTTs do not contradict.
 */
export const NEW_YORK_VIA_FRANKFURT = tracerouteText(ROUTER.chicago, [
  [ROUTER.newYork, 0.9],
  [ROUTER.fakeLondon, 2.1],
  [{ name: 'fra-core2.example.de', ip: ROUTER.frankfurt }, 88.4],
  [ROUTER.chicago, 104.2],
]);

/** Through a router known only as "Japan", with a hostile reverse name and organisation. */
export const SAN_JOSE_VIA_JAPAN = tracerouteText(ROUTER.newYork, [
  [ROUTER.sanJose, 0.8],
  [{ name: HOSTILE_NAME, ip: ROUTER.japan }, 121.7],
  [ROUTER.newYork, 190.4],
]);

/** A domestic path (must not appear on the map). */
export const SAN_JOSE_TO_LA = tracerouteText(ROUTER.losAngeles, [
  [ROUTER.sanJose, 0.7],
  [ROUTER.losAngeles, 8.9],
]);

/** From San Jose to Chicago through Frankfurt (probable), past a refuted London claim. */
const SAN_JOSE_VIA_FRANKFURT = tracerouteText(ROUTER.chicago, [
  [ROUTER.sanJose, 0.7],
  [ROUTER.fakeLondon, 3.2],
  [ROUTER.frankfurt, 97.5],
  [ROUTER.chicago, 140.3],
]);

/**
 * The i-th of many detours for the performance test, all from San Jose's agent: the confirmed China path and
 * probable Frankfurt and Japan paths in turn, the China ones each with its own start time.
 */
export function manyDetours(
  i: number,
  startSec: number,
): { output: string; engine: 'scamper' | 'traceroute'; target: string } {
  switch (i % 3) {
    case 0:
      return { output: sanJoseViaChina(startSec - i), engine: 'scamper', target: ROUTER.washington };
    case 1:
      return { output: SAN_JOSE_VIA_FRANKFURT, engine: 'traceroute', target: ROUTER.chicago };
    default:
      return { output: SAN_JOSE_VIA_JAPAN, engine: 'traceroute', target: ROUTER.newYork };
  }
}
