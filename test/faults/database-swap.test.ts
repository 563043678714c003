/**
 * Fault: a geolocation database replaced under a running coordinator (issue 16, item 4).
 *
 * Proves, with a real coordinator whose analyzer takes its databases from server/geo/database-swap.ts
 * (as `serve` wires it):
 * - a good new City file renamed over the watched --city-db is swapped in by itself: the next verdicts place
 *   the hop by the new build and name it (file and build date) in the stored verdict;
 * - a truncated copy, garbage, an older build, a file that places none of the probe addresses, and an ASN
 *   file given as the City database are each refused with one log line naming the file, and the verdicts
 *   keep using the build in service; a City file given as --asn-db is refused the same way;
 * - each of MaxMind's bad-data databases (../shared/fixtures, skipped loudly when absent) is refused by the
 *   SIGHUP path (reload), the build in service unchanged;
 * - the analyzer asks for the databases once per trace, and the verdict names exactly that snapshot's builds.
 */
import {
  copyFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnalyzer } from '../../server/analyze/pipeline.ts';
import { openSwappableGeo, type SwappableGeo } from '../../server/geo/database-swap.ts';
import type { Locator } from '../../server/geo/locator.ts';
import { parseTraces } from '../../server/parse/index.ts';
import { CITIES, NETS, writeWorldDatabases } from '../helpers/analyze-world.ts';
import { double, type MmdbValue, uint16, writeMmdb } from '../helpers/mmdb-writer.ts';
import { sharedFixtures, skipUnless } from '../helpers/skips.ts';
import {
  ackFor,
  DETOUR_OUTPUT,
  resultMessage,
  startTestCoordinator,
  TestClient,
  type TestCoordinator,
} from '../integration/coordinator-harness.ts';

const DAY_S = 86_400;
/** The world databases' build (the writer's default epoch) and a later one. */
const WORLD_EPOCH = 1_700_000_000;
const NEWER_EPOCH = WORLD_EPOCH + 30 * DAY_S;
const isoDay = (epoch: number) => new Date(epoch * 1000).toISOString().slice(0, 10);

let dir: string;
let files: { cityDb: string; asnDb: string };
let geo: SwappableGeo;
let t: TestCoordinator;
const geoLog: string[] = [];

/** A GeoLite2-City file of the world, except that the "Shanghai" router network is placed in Frankfurt. */
function cityRecords(shanghaiAt: { country: string; name: string; lat: number; lon: number }) {
  const entry = (network: string, country: string, name: string, at: { lat: number; lon: number }) => ({
    network,
    data: {
      country: { iso_code: country, names: { en: country } },
      city: { names: { en: name } },
      location: { latitude: double(at.lat), longitude: double(at.lon), accuracy_radius: uint16(20) },
    } as MmdbValue,
  });
  return [
    entry(NETS.sanJose, 'US', 'San Jose', CITIES.sanJose),
    entry(NETS.shanghai, shanghaiAt.country, shanghaiAt.name, shanghaiAt),
    entry(NETS.washington, 'US', 'Washington', CITIES.washington),
  ];
}

const FRANKFURT = { country: 'DE', name: 'Frankfurt am Main', ...CITIES.frankfurt };

/** Writes beside the watched file, then renames over it: how a database is replaced in practice. */
function replace(target: string, write: (at: string) => void): void {
  const next = `${target}.next`;
  write(next);
  renameSync(next, target);
}

async function waitForLog(match: (line: string) => boolean, count: number): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = geoLog.filter(match);
    if (found.length >= count) return found[count - 1] as string;
    if (Date.now() > deadline) throw new Error(`no such log line; got ${JSON.stringify(geoLog)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

let client: TestClient;

/** Sends the detour trace through a Shanghai-or-wherever router and returns its stored verdict. */
async function judgeOne() {
  const result = resultMessage(DETOUR_OUTPUT);
  client.send(result);
  const ack = await client.waitFor(ackFor(result.resultId));
  expect(ack.status).toBe('stored');
  const summary = (await t.store.listTraces({ limit: 50 })).find((s) => s.resultId === result.resultId);
  expect(summary).toBeDefined();
  const stored = await t.store.getTrace(summary?.id ?? -1);
  return stored?.verdictDetail;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'detourwatch-db-swap-'));
  files = writeWorldDatabases(dir);
  geo = openSwappableGeo({
    ...files,
    lookUpDocumentation: true,
    watch: true,
    debounceMs: 100,
    log: (line) => geoLog.push(line),
  });
  const analyzer = createAnalyzer({ locator: geo.current });
  t = await startTestCoordinator({ analyzer, batchMs: 5 });
  client = await TestClient.connect(t.coordinator.agentUrl, (await t.token()).token);
}, 30_000);

afterAll(async () => {
  client?.close();
  geo?.close();
  await t?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a database replaced under the running coordinator', () => {
  it('judges with the build in service and names it', async () => {
    const verdict = await judgeOne();
    expect(verdict?.verdict).toBe('detour');
    expect(verdict?.countries).toContain('CN');
    expect(verdict?.geoDatabases).toEqual([
      { role: 'city', name: 'world-city.mmdb', builtAt: isoDay(WORLD_EPOCH) },
      { role: 'asn', name: 'world-asn.mmdb', builtAt: isoDay(WORLD_EPOCH) },
    ]);
  });

  it('swaps in a good new City file by itself; the next verdicts use and name it', async () => {
    replace(files.cityDb, (at) =>
      writeMmdb(at, {
        databaseType: 'GeoLite2-City',
        records: cityRecords(FRANKFURT),
        buildEpoch: NEWER_EPOCH,
      }),
    );
    const line = await waitForLog((l) => l.startsWith('geo: swapped in'), 1);
    expect(line).toContain(files.cityDb);
    expect(line).toContain(`built ${isoDay(NEWER_EPOCH)}`);
    const verdict = await judgeOne();
    expect(verdict?.countries).toContain('DE');
    expect(verdict?.countries).not.toContain('CN');
    expect(verdict?.geoDatabases?.[0]).toEqual({
      role: 'city',
      name: 'world-city.mmdb',
      builtAt: isoDay(NEWER_EPOCH),
    });
  });

  const bad: [string, string, (at: string) => void][] = [
    ['a truncated copy', 'cityDb', (at) => writeFileSync(at, readFileSync(files.cityDb).subarray(0, 400))],
    ['garbage', 'cityDb', (at) => writeFileSync(at, Buffer.from('<html>not a database</html>\n'))],
    [
      'an older build',
      'cityDb',
      (at) =>
        writeMmdb(at, {
          databaseType: 'GeoLite2-City',
          records: cityRecords({ country: 'JP', name: 'Tokyo', lat: 35.68, lon: 139.69 }),
          buildEpoch: WORLD_EPOCH,
        }),
    ],
    [
      'a file that places no probe address',
      'cityDb',
      (at) =>
        writeMmdb(at, {
          databaseType: 'GeoLite2-City',
          records: cityRecords(FRANKFURT)
            .slice(1, 2)
            .map((r) => ({ ...r, network: '100.64.0.0/10' })),
          buildEpoch: NEWER_EPOCH + DAY_S,
        }),
    ],
    ['an ASN file given as the City database', 'cityDb', (at) => copyFileSync(files.asnDb, at)],
    [
      'a City file given as the ASN database',
      'asnDb',
      (at) =>
        writeMmdb(at, {
          databaseType: 'GeoLite2-City',
          records: cityRecords(FRANKFURT),
          buildEpoch: NEWER_EPOCH,
        }),
    ],
  ];
  let refusals = 0;
  for (const [what, role, write] of bad) {
    it(`refuses ${what} with one line naming it, and keeps the build in service`, async () => {
      const target = role === 'cityDb' ? files.cityDb : files.asnDb;
      replace(target, write);
      refusals += 1;
      const line = await waitForLog((l) => l.startsWith('geo: refused'), refusals);
      expect(line).toContain(target);
      expect(line).not.toContain('\n');
      // Quiet after the one line: the watcher does not try (and log) the same file again.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(geoLog.filter((l) => l.startsWith('geo: refused'))).toHaveLength(refusals);
      const verdict = await judgeOne();
      expect(verdict?.countries).toContain('DE');
      expect(verdict?.geoDatabases?.[0]?.builtAt).toBe(isoDay(NEWER_EPOCH));
      expect(verdict?.geoDatabases?.[1]).toEqual({
        role: 'asn',
        name: 'world-asn.mmdb',
        builtAt: isoDay(WORLD_EPOCH),
      });
    });
  }
});

const badData = path.resolve(
  fileURLToPath(new URL('../..', import.meta.url)),
  '../shared/fixtures/maxmind/MaxMind-DB/bad-data',
);

describe(
  "MaxMind's bad-data databases, each swapped in by SIGHUP's path",
  skipUnless('the bad-data swap test', sharedFixtures('maxmind/MaxMind-DB/bad-data')),
  () => {
    it('refuses every one with one line naming it, and keeps the build in service', () => {
      const badFiles = readdirSync(badData, { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.mmdb'))
        .map((f) => path.join(badData, f));
      expect(badFiles.length).toBeGreaterThanOrEqual(20);
      const own = mkdtempSync(path.join(tmpdir(), 'detourwatch-bad-data-'));
      try {
        const world = writeWorldDatabases(own);
        const lines: string[] = [];
        const swappable = openSwappableGeo({
          ...world,
          lookUpDocumentation: true,
          watch: false,
          log: (line) => lines.push(line),
        });
        const before = swappable.current();
        for (const bad of badFiles) {
          for (const role of ['cityDb', 'asnDb'] as const) {
            copyFileSync(bad, world[role]);
            const logged = lines.length;
            const outcomes = swappable.reload();
            expect(outcomes.find((o) => o.file === world[role])?.outcome, `${bad} as ${role}`).toBe(
              'refused',
            );
            // One line per file tried and refused (SIGHUP retries the other one too), each naming its file.
            const refused = outcomes.filter((o) => o.outcome === 'refused');
            expect(lines.slice(logged).map((l) => refused.some((o) => l.includes(o.file)))).toEqual(
              refused.map(() => true),
            );
          }
        }
        expect(swappable.current()).toBe(before);
        swappable.close();
      } finally {
        rmSync(own, { recursive: true, force: true });
      }
    });
  },
);

describe('one database snapshot per trace', () => {
  it('asks for the locator once per trace and names exactly its builds', () => {
    const own = mkdtempSync(path.join(tmpdir(), 'detourwatch-snapshot-'));
    try {
      const swappable = openSwappableGeo({
        ...writeWorldDatabases(own),
        lookUpDocumentation: true,
        watch: false,
        log: () => {},
      });
      let asked = 0;
      const locator = (): Locator => {
        asked += 1;
        return swappable.current();
      };
      const analyzer = createAnalyzer({ locator });
      const [trace] = parseTraces(DETOUR_OUTPUT, 'traceroute');
      if (!trace) throw new Error('the detour output did not parse');
      const { verdict } = analyzer.annotateAndJudge(trace, { lat: 37.77, lon: -122.42, source: 'declared' });
      expect(asked).toBe(1);
      expect(verdict.geoDatabases).toEqual(swappable.current().builds());
      swappable.close();
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });
});
