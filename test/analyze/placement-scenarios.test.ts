/**
 * Placement end to end through `detourwatch analyze`: test databases written with the project's MMDB writer,
 * traces as the tools print them with reverse names (traceroute without -n, scamper JSON with names), the
 * packaged place dictionaries, the physics and the verdict, read back from --json. Expected bounds come from
 * the physics functions.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { greatCircleKm, type LatLon } from '../../server/physics/great-circle.ts';
import { writeAsnDb, writeCityDb } from '../helpers/mmdb-writer.ts';
import { runCli } from '../helpers/run-cli.ts';
import { AT } from '../placement/places.ts';

/** Which documentation network stands for which router, and where the database puts it. */
const WORLD: Array<{ network: string; country: string; city?: string; at: LatLon }> = [
  { network: '192.0.2.0/28', country: 'US', city: 'Denver', at: AT.denver },
  // A Dallas router of NTT's that the database puts across the border.
  { network: '198.51.100.0/28', country: 'MX', city: 'Monterrey', at: AT.monterrey },
  // A Singapore router the database knows only as "somewhere in the US" (GeoLite2's centroid).
  { network: '198.51.100.16/28', country: 'US', at: AT.usCentroid },
  { network: '203.0.113.0/28', country: 'US', city: 'Dallas', at: AT.dallas },
  { network: '192.0.2.16/28', country: 'US', city: 'Atlanta', at: AT.atlanta },
  { network: '192.0.2.32/28', country: 'US', city: 'New York', at: AT.newYork },
  { network: '192.0.2.48/28', country: 'US', city: 'Miami', at: AT.miami },
  { network: '203.0.113.32/28', country: 'PR', city: 'San Juan', at: AT.sanJuan },
];

let dir: string;
let dbs: string[];

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'dw-placement-'));
  const cityDb = path.join(dir, 'city.mmdb');
  const asnDb = path.join(dir, 'asn.mmdb');
  writeCityDb(
    cityDb,
    WORLD.map((w) => ({
      network: w.network,
      country: w.country,
      ...(w.city ? { city: w.city, accuracyKm: 20 } : {}),
      ...w.at,
    })),
    'geoip2',
  );
  writeAsnDb(asnDb, [{ network: '198.51.100.0/28', asn: 2914, org: 'NTT-LTD-2914' }]);
  dbs = ['--city-db', cityDb, '--asn-db', asnDb];
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Hop = [address: string, rttMs: number, name?: string];

/** Linux traceroute 2.x text, as printed without -n: `name (address)` where a reverse name resolved. */
function tracerouteText(dst: string, hops: Hop[]): string {
  const lines = [`traceroute to ${dst} (${dst}), 30 hops max, 60 byte packets`];
  hops.forEach(([address, rtt, name], i) => {
    const host = `${name ?? address} (${address})`;
    lines.push(
      ` ${i + 1}  ${host}  ${rtt.toFixed(3)} ms  ${(rtt + 0.2).toFixed(3)} ms  ${(rtt + 0.4).toFixed(3)} ms`,
    );
  });
  return `${lines.join('\n')}\n`;
}

/** One scamper `trace` line (icmp-echo-paris: flow-stable), one reply per TTL, names as scamper prints them. */
function scamperTrace(src: string, dst: string, hops: Hop[]): string {
  const t = { sec: 1_760_000_000, usec: 0 };
  return `${JSON.stringify({
    type: 'trace',
    version: '0.1',
    method: 'icmp-echo-paris',
    src,
    dst,
    stop_reason: 'COMPLETED',
    stop_data: 0,
    start: { ...t, ftime: '2025-10-09 08:53:20' },
    hop_count: hops.length,
    attempts: 3,
    hoplimit: 30,
    firsthop: 1,
    wait: 5,
    wait_probe: 0,
    tos: 0,
    probe_size: 44,
    probe_count: hops.length,
    hops: hops.map(([addr, rtt, name], i) => ({
      addr,
      ...(name ? { name } : {}),
      probe_ttl: i + 1,
      probe_id: 1,
      probe_size: 44,
      tx: t,
      rtt,
      reply_ttl: 250,
      reply_tos: 0,
      reply_size: 56,
      icmp_type: i === hops.length - 1 ? 0 : 11,
      icmp_code: 0,
    })),
  })}\n`;
}

// biome-ignore lint/suspicious/noExplicitAny: the --json records are checked field by field below
type Record = any;

async function analyze(text: string, from: LatLon, extra: string[] = []): Promise<Record> {
  const file = path.join(dir, `trace-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(file, text);
  const run = await runCli([
    'analyze',
    '--json',
    '--look-up-documentation',
    ...dbs,
    '--source-location',
    `${from.lat},${from.lon}`,
    ...extra,
    file,
  ]);
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  return JSON.parse(run.stdout.trim());
}

const at = (r: Record, ttl: number) => r.hops.find((h: Record) => h.ttl === ttl);

describe('analyze: hostname placement scenarios', () => {
  // Far enough from Denver that the RTT cannot rule Monterrey out: the database's claim survives physics.
  const msDallasRouter = greatCircleKm(AT.denver, AT.monterrey) / 100 + 3;
  const dallasPath = (name?: string): Hop[] => [
    ['192.0.2.1', 0.5],
    ['198.51.100.10', msDallasRouter, name],
    ['203.0.113.9', msDallasRouter + 1],
  ];

  it('a Dallas router named dllstx that the database puts in Monterrey, on a Denver -> Dallas path: domestic, placed by hostname', async () => {
    const r = await analyze(
      tracerouteText('203.0.113.9', dallasPath('ae-2.r20.dllstx09.us.bb.gin.ntt.net')),
      AT.denver,
    );
    expect(r.verdict).toBe('domestic');
    expect(r.countries).toEqual(['US']);
    const hop = at(r, 2);
    expect(hop).toMatchObject({
      status: 'home',
      country: 'US',
      city: 'Dallas',
      name: 'ae-2.r20.dllstx09.us.bb.gin.ntt.net',
    });
    expect(hop.placement).toMatchObject({
      source: 'hostname',
      hostname: 'ae-2.r20.dllstx09.us.bb.gin.ntt.net',
      rule: 'clli',
      token: 'dllstx',
    });
    expect(greatCircleKm(hop, AT.dallas)).toBeLessThan(30);
    const db = hop.placement.rejected.find((c: Record) => c.source === 'database');
    expect(db).toMatchObject({ country: 'MX', city: 'Monterrey' });
    expect(r.reason).toMatch(/placed in Dallas \(US\) by its name \(clli "dllstx"\), not in MX/);
  });

  it('the same trace without names (traceroute -n) is the probable detour the hostname prevents', async () => {
    const r = await analyze(tracerouteText('203.0.113.9', dallasPath()), AT.denver);
    expect(r.verdict).toBe('detour');
    expect(r.confidence).toBe('probable');
    expect(r.foreignHops.map((h: Record) => h.country)).toEqual(['MX']);
    expect(at(r, 2).placement).toBeUndefined();
  });

  it('a router named for Singapore that the database puts at the US centroid, with RTTs that agree: confirmed detour via SG', async () => {
    const outMs = greatCircleKm(AT.denver, AT.singapore) / 100 + 15;
    const backMs = outMs + greatCircleKm(AT.singapore, AT.dallas) / 100 + 10;
    const r = await analyze(
      scamperTrace('192.0.2.5', '203.0.113.9', [
        ['192.0.2.1', 0.5],
        ['198.51.100.20', outMs, 'ae-5.r21.sngpsi07.sg.bb.gin.ntt.net'],
        ['203.0.113.1', backMs],
        ['203.0.113.9', backMs + 1],
      ]),
      AT.denver,
    );
    expect(r.verdict).toBe('detour');
    expect(r.confidence).toBe('confirmed');
    expect(r.countries).toEqual(['US', 'SG']);
    expect(r.foreignHops).toHaveLength(1);
    expect(r.foreignHops[0]).toMatchObject({ ttl: 2, ip: '198.51.100.20', country: 'SG', confirmed: true });
    expect(at(r, 2).placement).toMatchObject({ source: 'hostname', rule: 'clli', token: 'sngpsi' });
    expect(r.extraKm).toBeGreaterThan(greatCircleKm(AT.denver, AT.singapore));
  });

  it('the same Singapore router on a classic traceroute (not flow-stable) is a probable detour', async () => {
    const outMs = greatCircleKm(AT.denver, AT.singapore) / 100 + 15;
    const r = await analyze(
      tracerouteText('203.0.113.9', [
        ['192.0.2.1', 0.5],
        ['198.51.100.20', outMs, 'ae-5.r21.sngpsi07.sg.bb.gin.ntt.net'],
        ['203.0.113.9', outMs + greatCircleKm(AT.singapore, AT.dallas) / 100],
      ]),
      AT.denver,
    );
    expect(r.verdict).toBe('detour');
    expect(r.confidence).toBe('probable');
    expect(r.foreignHops.map((h: Record) => h.country)).toEqual(['SG']);
  });

  it('a fra hint 2 ms from Atlanta is refuted and said so; the database city stays', async () => {
    const r = await analyze(
      tracerouteText('203.0.113.9', [
        ['192.0.2.18', 2, 'xe-0-1.fra03.example.net'],
        ['203.0.113.9', greatCircleKm(AT.atlanta, AT.dallas) / 100 + 3],
      ]),
      AT.atlanta,
    );
    expect(r.verdict).toBe('domestic');
    const hop = at(r, 1);
    expect(hop).toMatchObject({ status: 'home', city: 'Atlanta', country: 'US' });
    expect(hop.placement.source).toBe('database');
    const hint = hop.placement.rejected.find((c: Record) => c.source === 'hostname');
    expect(hint).toMatchObject({ rule: 'iata', token: 'fra', country: 'DE' });
    expect(hint.why).toMatch(/^refuted: .*within 200 km of the prober by its 2 ms/);
  });
});

describe('analyze: home is a set', () => {
  const sanJuanPath = (): string =>
    tracerouteText('203.0.113.40', [
      ['192.0.2.33', 0.5],
      ['192.0.2.49', greatCircleKm(AT.newYork, AT.miami) / 100 + 2],
      ['203.0.113.40', greatCircleKm(AT.newYork, AT.sanJuan) / 100 + 4],
    ]);

  it('New York -> San Juan is domestic: Puerto Rico is at home with the United States', async () => {
    for (const extra of [[], ['--home-country', 'US']]) {
      const r = await analyze(sanJuanPath(), AT.newYork, extra);
      expect(r.verdict).toBe('domestic');
      expect(r.destination).toEqual({ ip: '203.0.113.40', country: 'PR' });
      expect(r.countries).toEqual(['US', 'PR']);
      expect(r.homeCountry).toBe('US');
      expect(r.homeCountries).toEqual(expect.arrayContaining(['US', 'PR', 'GU', 'VI', 'AS', 'MP', 'UM']));
    }
  });
});
