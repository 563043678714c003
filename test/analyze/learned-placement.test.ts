/**
 * Issue 15, items 3 and 8, through `detourwatch analyze --data DIR`: a Dallas router that the database puts
 * across the border in Monterrey, met on a Denver -> Dallas trace at an RTT that cannot rule Monterrey out. On
 * its own the trace is a probable detour via MX; with the constraints a coordinator stored (three verified
 * agents' lowest RTTs, the Dallas one's 0.8 ms among them) the Monterrey claim is refuted with that evidence and
 * the router is placed at home by constraint: domestic. A contradicted agent claiming Monterrey at 0.3 ms is
 * left out (counted, it would leave no feasible place at all). An operator's correction stored there is used
 * too (provenance `operator`). Test databases from the project's MMDB writer;
 * expectations from the physics.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { greatCircleKm } from '../../server/physics/great-circle.ts';
import { openSqliteStore } from '../../server/store/sqlite/open.ts';
import { writeAsnDb, writeCityDb } from '../helpers/mmdb-writer.ts';
import { runCli } from '../helpers/run-cli.ts';
import { type MeasuringAgent, storeRouterRtts } from '../helpers/stored-constraints.ts';
import { AT } from '../placement/places.ts';

const ROUTER = '198.51.100.10';
const KM_PER_MS = 100;
const AGENTS: MeasuringAgent[] = [
  { name: 'dallas-1', at: AT.dallas, rttMs: 0.8, status: 'verified' },
  { name: 'kc-1', at: AT.kansasCity, rttMs: 8, status: 'verified' },
  { name: 'atlanta-1', at: AT.atlanta, rttMs: 12, status: 'verified' },
  { name: 'liar', at: AT.monterrey, rttMs: 0.3, status: 'contradicted' },
];
// Far enough from Denver that its own RTT cannot rule Monterrey out.
const DENVER_RTT = greatCircleKm(AT.denver, AT.monterrey) / KM_PER_MS + 3;

let dir: string;
let dataDir: string;
let dbs: string[];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'dw-learned-'));
  const cityDb = path.join(dir, 'city.mmdb');
  const asnDb = path.join(dir, 'asn.mmdb');
  writeCityDb(
    cityDb,
    [
      { network: '192.0.2.0/28', country: 'US', city: 'Denver', accuracyKm: 20, ...AT.denver },
      { network: '198.51.100.0/28', country: 'MX', city: 'Monterrey', accuracyKm: 20, ...AT.monterrey },
      { network: '203.0.113.0/28', country: 'US', city: 'Dallas', accuracyKm: 20, ...AT.dallas },
    ],
    'geoip2',
  );
  writeAsnDb(asnDb, [{ network: '198.51.100.0/28', asn: 2914, org: 'NTT-LTD-2914' }]);
  dbs = ['--city-db', cityDb, '--asn-db', asnDb];
  dataDir = path.join(dir, 'data');
  const store = openSqliteStore({ dataDir, create: true });
  try {
    await storeRouterRtts(store, ROUTER, AGENTS);
  } finally {
    await store.close();
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const trace = [
  'traceroute to 203.0.113.9 (203.0.113.9), 30 hops max, 60 byte packets',
  ' 1  192.0.2.1  0.500 ms  0.600 ms  0.700 ms',
  ` 2  ${ROUTER}  ${DENVER_RTT.toFixed(3)} ms  ${(DENVER_RTT + 0.2).toFixed(3)} ms  ${(DENVER_RTT + 0.4).toFixed(3)} ms`,
  ` 3  203.0.113.9  ${(DENVER_RTT + 1).toFixed(3)} ms  ${(DENVER_RTT + 1.2).toFixed(3)} ms  ${(DENVER_RTT + 1.3).toFixed(3)} ms`,
  '',
].join('\n');

// biome-ignore lint/suspicious/noExplicitAny: the --json records are checked field by field below
async function analyze(extra: string[]): Promise<any> {
  const file = path.join(dir, 'denver-dallas.txt');
  writeFileSync(file, trace);
  const run = await runCli([
    'analyze',
    '--json',
    '--look-up-documentation',
    ...dbs,
    '--source-location',
    `${AT.denver.lat},${AT.denver.lon}`,
    ...extra,
    file,
  ]);
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  return JSON.parse(run.stdout.trim());
}

describe('analyze --data: what a coordinator learned', () => {
  it('without it, the Monterrey claim stands: a probable detour via MX', async () => {
    const r = await analyze([]);
    expect(r.verdict).toBe('detour');
    expect(r.foreignHops.map((h: { country: string }) => h.country)).toEqual(['MX']);
  });

  it('with it, three verified agents refute Monterrey and place the router at home: domestic', async () => {
    const r = await analyze(['--data', dataDir]);
    expect(r.verdict).toBe('domestic');
    const hop = r.hops.find((h: { ip: string }) => h.ip === ROUTER);
    expect(hop.placement.source).toBe('constraint');
    // The evidence names the verified agent whose disc Monterrey lies farthest outside of.
    const verified = AGENTS.filter((x) => x.status === 'verified');
    const excess = (a: MeasuringAgent) => greatCircleKm(a.at, AT.monterrey) - a.rttMs * KM_PER_MS;
    const worst = verified.reduce((w, a) => (excess(a) > excess(w) ? a : w));
    const rejected = hop.placement.rejected.find((c: { source: string }) => c.source === 'database');
    expect(rejected.country).toBe('MX');
    expect(rejected.why).toContain(
      `within ${Math.round(worst.rttMs * KM_PER_MS)} km of the ${worst.name} agent by its ${worst.rttMs} ms`,
    );
    // The place chosen lies in every verified agent's disc.
    expect(hop.country).toBe('US');
    for (const a of verified) {
      expect(greatCircleKm(a.at, { lat: hop.lat, lon: hop.lon })).toBeLessThanOrEqual(a.rttMs * KM_PER_MS);
    }
  });

  it("uses an operator's correction stored there", async () => {
    const corrected = path.join(dir, 'corrected');
    const store = openSqliteStore({ dataDir: corrected, create: true });
    try {
      await store.setLocationCorrections([
        {
          ip: ROUTER,
          ...AT.dallas,
          country: 'US',
          region: 'US-TX',
          city: 'Dallas',
          note: 'our Dallas PoP',
          by: 'ops',
          at: Date.now(),
        },
      ]);
    } finally {
      await store.close();
    }
    const r = await analyze(['--data', corrected]);
    expect(r.verdict).toBe('domestic');
    const hop = r.hops.find((h: { ip: string }) => h.ip === ROUTER);
    expect(hop.placement.source).toBe('operator');
    expect(greatCircleKm({ lat: hop.lat, lon: hop.lon }, AT.dallas)).toBeLessThan(1);
  });

  it('refuses --data with --database, and a store that is not there', async () => {
    const both = await runCli(['analyze', '--data', dataDir, '--database', 'postgres://x@127.0.0.1/db', '-']);
    expect(both.status).not.toBe(0);
    expect(both.stderr).toContain('give --data or --database, not both');
    const missing = await runCli(['analyze', '--data', path.join(dir, 'nowhere'), '-'], trace);
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toContain('no detourwatch database');
  });
});
