/**
 * `detourwatch analyze` end to end: real test databases (written with the project's MMDB writer), real trace
 * text through the parser, the locator, the physics and the verdict, read back from the command's --json output.
 * Expected bounds come from the physics functions, not from earlier output.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { greatCircleKm } from '../../server/physics/great-circle.ts';
import { atlasTrace, CITIES, type WorldHop, writeWorldDatabases } from '../helpers/analyze-world.ts';
import { runCli } from '../helpers/run-cli.ts';

let dir: string;
let dbs: { cityDb: string; asnDb: string };

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'dw-analyze-'));
  dbs = writeWorldDatabases(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// biome-ignore lint/suspicious/noExplicitAny: the NDJSON records are checked field by field below
type Record = any;

async function analyze(src: string, dst: string, hops: WorldHop[], extra: string[] = []): Promise<Record> {
  const file = path.join(dir, `trace-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, `${JSON.stringify(atlasTrace(src, dst, hops))}\n`);
  const run = await runCli([
    'analyze',
    '--json',
    '--look-up-documentation',
    '--city-db',
    dbs.cityDb,
    '--asn-db',
    dbs.asnDb,
    '--source-location',
    `${CITIES.sanJose.lat},${CITIES.sanJose.lon}`,
    ...extra,
    file,
  ]);
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  const lines = run.stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0] ?? '');
}

const kmSjShanghai = greatCircleKm(CITIES.sanJose, CITIES.shanghai);
const kmShanghaiDc = greatCircleKm(CITIES.shanghai, CITIES.washington);

describe('analyze: verdict scenarios on test databases', () => {
  it('a boomerang San Jose -> Shanghai (AS4134) -> Washington with RTTs that prove it is a confirmed detour', async () => {
    // Enough RTT for the trip through Shanghai at every later hop: the retraced path bound plus slack.
    const throughShanghai = (kmSjShanghai + kmShanghaiDc) / 100 + 10;
    const r = await analyze('192.0.2.5', '203.0.113.9', [
      [['192.0.2.1', 0.8]],
      [['198.51.100.1', kmSjShanghai / 100 + 20]],
      [['203.0.113.1', throughShanghai]],
      [['203.0.113.9', throughShanghai + 1]],
    ]);
    expect(r.verdict).toBe('detour');
    expect(r.confidence).toBe('confirmed');
    expect(r.countries).toEqual(['US', 'CN']);
    expect(r.source).toEqual({ ip: '192.0.2.5', country: 'US' });
    expect(r.destination).toEqual({ ip: '203.0.113.9', country: 'US' });
    expect(r.foreignHops).toHaveLength(1);
    const hop = r.foreignHops[0];
    expect(hop).toMatchObject({
      ttl: 2,
      ip: '198.51.100.1',
      country: 'CN',
      asn: 4134,
      org: 'CHINANET-BACKBONE',
    });
    // The claim needs at least the distance less its accuracy radius, at 100 km per ms.
    expect(hop.minRttMs).toBeGreaterThan((kmSjShanghai - 300) / 100);
    expect(hop.minRttMs).toBeLessThanOrEqual(kmSjShanghai / 100);
    expect(r.refutedHops).toEqual([]);
    expect(r.extraKm).toBeGreaterThan(kmSjShanghai);
  });

  it('the same path whose later replies are not inflated enough to prove it stays probable', async () => {
    // Above what refutes the Shanghai claim, below what retracing the detour needs.
    const direct = greatCircleKm(CITIES.sanJose, CITIES.washington) / 100;
    const between = (kmSjShanghai + kmShanghaiDc) / 100 - 30;
    expect(between).toBeGreaterThan(direct);
    const r = await analyze('192.0.2.5', '203.0.113.9', [
      [['192.0.2.1', 0.8]],
      [['198.51.100.1', kmSjShanghai / 100 + 20]],
      [['203.0.113.1', between]],
      [['203.0.113.9', between + 1]],
    ]);
    expect(r.verdict).toBe('detour');
    expect(r.confidence).toBe('probable');
    expect(r.foreignHops.map((h: Record) => h.country)).toEqual(['CN']);
  });

  it("a Chinese carrier's US point of presence that the database puts in Shanghai, answering in 2 ms: domestic, claim refuted", async () => {
    const r = await analyze('192.0.2.5', '203.0.113.9', [
      [['192.0.2.1', 0.8]],
      [['198.51.100.130', 2]],
      [['203.0.113.1', 70]],
      [['203.0.113.9', 71]],
    ]);
    expect(r.verdict).toBe('domestic');
    expect(r.confidence).toBeNull();
    expect(r.countries).toEqual(['US']);
    expect(r.foreignHops).toEqual([]);
    expect(r.refutedHops).toHaveLength(1);
    const refuted = r.refutedHops[0];
    expect(refuted).toMatchObject({
      ttl: 2,
      ip: '198.51.100.130',
      claimedCountry: 'CN',
      rttMs: 2,
      reason: 'own-rtt',
    });
    expect(refuted.maxKm).toBeCloseTo(200, 6);
    expect(refuted.claimedKm).toBeGreaterThan(kmSjShanghai - 300);
    expect(refuted.claimedKm).toBeGreaterThan(refuted.maxKm);
    expect(r.hops.find((h: Record) => h.ttl === 2).status).toBe('refuted');
  });

  it('a slow ICMP reply from a "Shanghai" router followed by a fast Washington hop: refuted by the later reply', async () => {
    const r = await analyze('192.0.2.5', '203.0.113.9', [
      [['192.0.2.1', 0.8]],
      [['198.51.100.1', kmSjShanghai / 100 + 5]],
      [['203.0.113.1', 70]],
      [['203.0.113.9', 71]],
    ]);
    expect(r.verdict).toBe('domestic');
    expect(r.refutedHops).toHaveLength(1);
    expect(r.refutedHops[0]).toMatchObject({ ip: '198.51.100.1', reason: 'later-reply' });
  });

  it('stars and private hops are neither looked up nor taken for abroad', async () => {
    const r = await analyze('192.0.2.5', '203.0.113.9', [
      [['10.0.0.1', 0.5]],
      [
        [null, null],
        [null, null],
      ],
      [['100.64.0.1', 3]],
      [['192.0.2.1', 4]],
      [[null, null]],
      [['203.0.113.9', 71]],
    ]);
    expect(r.verdict).toBe('domestic');
    const status = Object.fromEntries(r.hops.map((h: Record) => [h.ttl, h.status]));
    expect(status).toMatchObject({
      1: 'special',
      2: 'no-reply',
      3: 'special',
      4: 'home',
      5: 'no-reply',
      6: 'home',
    });
    expect(r.hops[0].country).toBeNull();
  });

  it('an IPv6 boomerang through China is a detour', async () => {
    const throughShanghai = (kmSjShanghai + kmShanghaiDc) / 100 + 10;
    const r = await analyze('2001:db8:1::5', '2001:db8:3::9', [
      [['2001:db8:1::1', 0.7]],
      [['2001:db8:2::1', kmSjShanghai / 100 + 15]],
      [['2001:db8:3::1', throughShanghai]],
      [['2001:db8:3::9', throughShanghai + 1]],
    ]);
    expect(r.verdict).toBe('detour');
    expect(r.confidence).toBe('confirmed');
    expect(r.foreignHops[0]).toMatchObject({ ip: '2001:db8:2::1', country: 'CN', asn: 23764 });
  });

  it('a destination abroad is a foreign-endpoint, not a detour', async () => {
    const r = await analyze('192.0.2.5', '203.0.113.140', [[['192.0.2.1', 0.8]], [['203.0.113.140', 160]]]);
    expect(r.verdict).toBe('foreign-endpoint');
    expect(r.destination).toEqual({ ip: '203.0.113.140', country: 'DE' });
    expect(r.confidence).toBeNull();
  });

  it('a path that only answers at its first hop is inconclusive', async () => {
    const r = await analyze('192.0.2.5', '203.0.113.9', [
      [['192.0.2.1', 0.8]],
      [[null, null]],
      [[null, null]],
      [[null, null]],
    ]);
    expect(r.verdict).toBe('inconclusive');
    expect(r.reason).toMatch(/\w/);
  });

  it('the home country is configurable: the same China path seen from a "CN" point of view is a foreign-endpoint', async () => {
    const r = await analyze(
      '192.0.2.5',
      '203.0.113.9',
      [[['192.0.2.1', 0.8]], [['203.0.113.9', 71]]],
      ['--home-country', 'cn'],
    );
    expect(r.homeCountry).toBe('CN');
    expect(r.verdict).toBe('foreign-endpoint');
  });

  it('a looser distance bound (--km-per-ms) turns a refuted claim into a credible one', async () => {
    // At 5,000 km per ms (not physics, a test knob) 2 ms covers 10,000 km: Shanghai is no longer impossible.
    const r = await analyze(
      '192.0.2.5',
      '203.0.113.9',
      [[['192.0.2.1', 0.8]], [['198.51.100.130', 2]], [['203.0.113.1', 70]], [['203.0.113.9', 71]]],
      ['--km-per-ms', '5000'],
    );
    expect(r.verdict).toBe('detour');
    expect(r.refutedHops).toEqual([]);
  });
});
