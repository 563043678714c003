/**
 * Issue 15, item 5: corrections leave and enter a store as a geofeed-like CSV through the CLI, on both
 * engines: export -> import into a fresh store gives the same corrections; every line of an import is tested
 * against the stored RTTs and reported by its line number; a file with a refused line changes nothing unless
 * --accept-valid.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { LocationCorrectionItem } from '../../protocol/location-corrections.ts';
import { greatCircleKm } from '../../server/physics/great-circle.ts';
import { runCli } from '../helpers/run-cli.ts';
import { describeEngines, storeEngines, type TestStore } from '../history/test-store.ts';

const engines = await storeEngines('location corrections as a geofeed');
const SF = { lat: 37.77, lon: -122.42 };
const NEW_YORK = { lat: 40.71, lon: -74.01 };

async function cli(env: TestStore, args: string[]) {
  return runCli(['locations', ...args, ...env.cliArgs]);
}

async function list(env: TestStore): Promise<LocationCorrectionItem[]> {
  const run = await cli(env, ['list', '--json']);
  expect(run.status).toBe(0);
  return (JSON.parse(run.stdout) as { corrections: LocationCorrectionItem[] }).corrections;
}

const place = (c: LocationCorrectionItem) => [c.ip, c.lat, c.lon, c.country, c.region, c.city, c.note];

describeEngines(engines, (engine) => {
  let from: TestStore;
  let to: TestStore;
  beforeEach(async () => {
    from = await engine.open();
    to = await engine.open();
  });
  afterEach(async () => {
    await from.cleanup();
    await to.cleanup();
  });

  it('exports the corrections and imports them into a fresh store unchanged', async () => {
    const set = await cli(from, [
      'set',
      '198.51.100.7',
      `${NEW_YORK.lat},${NEW_YORK.lon}`,
      '--note',
      'moved, said "the NOC", ticket 12',
      '--by',
      'alice',
    ]);
    expect(set.status).toBe(0);
    expect(set.stdout).toContain('change #1: set 198.51.100.7 by alice');
    expect(
      (await cli(from, ['set', '2001:DB8::1', '34.05,-118.24', '--note', 'LA', '--city', 'Los Angeles']))
        .status,
    ).toBe(0);
    const before = await list(from);
    expect(before.map((c) => [c.ip, c.country, c.region, c.city])).toEqual([
      ['198.51.100.7', 'US', 'US-NY', expect.any(String)],
      ['2001:db8::1', 'US', 'US-CA', 'Los Angeles'],
    ]);

    const file = path.join(from.dir, 'corrections.csv');
    expect((await cli(from, ['export', '--out', file])).status).toBe(0);
    const text = readFileSync(file, 'utf8');
    // The first five columns are a plain RFC 8805 geofeed.
    const rows = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(rows[0]?.split(',').slice(0, 5)).toEqual(['198.51.100.7/32', 'US', 'US-NY', before[0]?.city, '']);
    expect(rows[1]?.startsWith('2001:db8::1/128,US,US-CA,Los Angeles,,34.05,-118.24,LA')).toBe(true);

    const imported = await cli(to, ['import', file]);
    expect(imported.stderr).toBe('');
    expect(imported.status).toBe(0);
    expect(imported.stdout).toContain('line 3: accepted: 198.51.100.7');
    expect(imported.stdout).toContain('line 4: accepted: 2001:db8::1');
    expect(imported.stdout).toContain('imported 2 correction(s)');
    expect((await list(to)).map(place)).toEqual(before.map(place));
  });

  it('refuses a bad line by its number and a line the RTTs rule out, and then imports nothing', async () => {
    // A reply of 198.51.100.7 in 5 ms from San Francisco: it is within 500 km of there.
    await to.store.writeImported([
      {
        origin: 'import',
        agentId: null,
        importKey: `geofeed-${process.pid}`,
        trace: {
          tool: 'atlas',
          method: 'icmp-paris',
          ipVersion: 4,
          source: { address: '192.0.2.1' },
          destination: { address: '192.0.2.50' },
          startedAt: new Date().toISOString(),
          hops: [{ ttl: 1, replies: [{ address: '198.51.100.7', rttMs: 5 }] }],
        },
        verdict: {
          verdict: 'domestic',
          confidence: null,
          homeCountry: 'US',
          source: { ip: '192.0.2.1', country: 'US' },
          destination: { ip: '192.0.2.50', country: 'US' },
          countries: ['US'],
          foreignAsns: [],
          foreignHops: [],
          refutedHops: [],
          extraKm: null,
          reason: 'test',
          hops: [],
        },
        sourcePosition: SF,
        pathAsns: [],
      },
    ]);
    const file = path.join(to.dir, 'bad.csv');
    writeFileSync(
      file,
      [
        '# a geofeed',
        '198.51.100.9/32,US,US-CA,San Jose,,37.34,-121.89,fine',
        '198.51.100.0/24,US,US-CA,San Jose,,37.34,-121.89,a whole prefix',
        `198.51.100.7,US,US-NY,New York,,${NEW_YORK.lat},${NEW_YORK.lon},too far`,
        '198.51.100.10,US,,,,95.1,-121.89,',
        '',
      ].join('\n'),
    );
    const run = await cli(to, ['import', file]);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('line 2: accepted: 198.51.100.9');
    expect(run.stdout).toContain('line 3: REFUSED: 198.51.100.0/24 is a prefix');
    const away = Math.round(greatCircleKm(SF, NEW_YORK)).toLocaleString('en-US');
    expect(run.stdout).toContain(
      `line 4: REFUSED: the probe at 37.77,-122.42 (trace #1) measured 5 ms, so 198.51.100.7 is within 500 km of it; 40.71,-74.01 is ${away} km away`,
    );
    expect(run.stdout).toContain('line 5: REFUSED: latitude 95.1 is outside -90..90');
    expect(run.stdout).toContain('nothing imported: 3 line(s) refused');
    expect(await list(to)).toEqual([]);

    const partial = await cli(to, ['import', file, '--accept-valid']);
    expect(partial.status).toBe(1);
    expect(partial.stdout).toContain('imported 1 correction(s); 3 line(s) refused and left out');
    expect((await list(to)).map((c) => c.ip)).toEqual(['198.51.100.9']);
  });
});
