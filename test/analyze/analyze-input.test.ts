/**
 * `detourwatch analyze` on real third-party databases and on bad input: MaxMind's own test databases (good and
 * deliberately corrupt), unreadable files, bad options. Each problem must come back as a clear message and an
 * exit status, never a crash or a hang.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { atlasTrace } from '../helpers/analyze-world.ts';
import { runCli } from '../helpers/run-cli.ts';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const maxmind = path.resolve(repoRoot, '../shared/fixtures/maxmind/MaxMind-DB');
const haveMaxmind = existsSync(path.join(maxmind, 'test-data/GeoIP2-City-Test.mmdb'));
if (!haveMaxmind)
  console.warn('SKIPPED: analyze on MaxMind test databases, because ../shared/fixtures is absent');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'dw-analyze-input-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeTrace(name: string, content: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}

/** Addresses MaxMind's GeoIP2-City-Test source data places: Milton WA (US), Changchun (CN), London (GB). */
const milton = (n: number) => `216.160.83.${56 + n}`;

describe.skipIf(!haveMaxmind)("analyze with MaxMind's test databases", () => {
  const cityDb = path.join(maxmind, 'test-data/GeoIP2-City-Test.mmdb');

  it('refutes a Changchun placement answering in 5 ms from Milton, WA, and keeps the path domestic', async () => {
    const file = writeTrace(
      'milton-changchun.json',
      JSON.stringify(
        atlasTrace(milton(1), milton(4), [[[milton(2), 0.9]], [['175.16.199.1', 5]], [[milton(4), 6]]]),
      ),
    );
    const run = await runCli(['analyze', '--json', '--city-db', cityDb, file]);
    expect(run.status).toBe(0);
    const r = JSON.parse(run.stdout);
    expect(r.verdict).toBe('domestic');
    expect(r.refutedHops).toMatchObject([{ ip: '175.16.199.1', claimedCountry: 'CN', reason: 'own-rtt' }]);
  });

  it('accepts a detour through London when the RTTs allow it', async () => {
    const file = writeTrace(
      'milton-london.json',
      JSON.stringify(
        atlasTrace(milton(1), milton(4), [[[milton(2), 0.9]], [['81.2.69.142', 160]], [[milton(4), 330]]]),
      ),
    );
    const run = await runCli(['analyze', '--json', '--city-db', cityDb, file]);
    expect(run.status).toBe(0);
    const r = JSON.parse(run.stdout);
    expect(r.verdict).toBe('detour');
    expect(r.countries).toEqual(['US', 'GB']);
  });

  it('takes ASNs from a GeoLite2-ASN database given with --asn-db', async () => {
    const file = writeTrace(
      'asn.json',
      JSON.stringify(atlasTrace(milton(1), milton(4), [[['12.81.92.1', 2]], [[milton(4), 6]]])),
    );
    const asnDb = path.join(maxmind, 'test-data/GeoLite2-ASN-Test.mmdb');
    const run = await runCli(['analyze', '--json', '--city-db', cityDb, '--asn-db', asnDb, file]);
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout).hops[0].asn).toBe(7018);
  });

  it('refuses an ASN database given as the City database, naming the file', async () => {
    const file = writeTrace(
      'kind.json',
      JSON.stringify(atlasTrace(milton(1), milton(4), [[[milton(4), 6]]])),
    );
    const asnDb = path.join(maxmind, 'test-data/GeoLite2-ASN-Test.mmdb');
    const run = await runCli(['analyze', '--city-db', asnDb, file]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('DB_WRONG_KIND');
    expect(run.stderr).toContain('GeoLite2-ASN-Test.mmdb');
  });

  const badFiles = haveMaxmind
    ? readdirSync(path.join(maxmind, 'bad-data'), { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.mmdb'))
        .map((f) => path.join(maxmind, 'bad-data', f))
    : [];

  it.each(badFiles)(
    'a corrupt database (%s) ends in a clear error or validated data, never a crash',
    async (db) => {
      const file = writeTrace(
        'bad.json',
        JSON.stringify(atlasTrace(milton(1), '1.1.1.1', [[['1.1.1.1', 3]], [['81.2.69.142', 90]]])),
      );
      const run = await runCli(['analyze', '--json', '--city-db', db, file]);
      expect([0, 1]).toContain(run.status);
      expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
      if (run.status === 1) {
        expect(run.stderr).toMatch(/DB_(OPEN_FAILED|LOOKUP_FAILED|WRONG_KIND)/);
        expect(run.stderr).toContain(path.basename(db));
      } else {
        // It opened and every record it gave was validated: whatever came out is a complete verdict.
        const r = JSON.parse(run.stdout);
        expect(['domestic', 'detour', 'foreign-endpoint', 'inconclusive']).toContain(r.verdict);
      }
    },
  );
});

describe('analyze on bad input and bad options', () => {
  it('lists every bad option at once, each named', async () => {
    const run = await runCli([
      'analyze',
      '--format',
      'pcap',
      '--source-location',
      '95,10',
      '--home-country',
      'USA',
      '--km-per-ms=-3',
    ]);
    expect(run.status).toBe(2);
    for (const option of ['--format', '--source-location', '--home-country', '--km-per-ms', 'no input']) {
      expect(run.stderr).toContain(option);
    }
  });

  it('reports an unknown option as a usage error', async () => {
    const run = await runCli(['analyze', '--frobnicate', 'x.json']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("'--frobnicate'");
  });

  it('names a missing file and a directory, and still analyses the readable file', async () => {
    const good = writeTrace(
      'good.json',
      JSON.stringify(atlasTrace('8.8.8.8', '8.8.4.4', [[['8.8.4.4', 3]]])),
    );
    const run = await runCli(['analyze', '--json', path.join(dir, 'nope.json'), dir, good]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('nope.json: no such file');
    expect(run.stderr).toContain('is a directory');
    expect(run.stdout.trim().split('\n')).toHaveLength(1);
  });

  it.each([
    ['an empty file', '', /INPUT_EMPTY/],
    ['truncated JSON', '{"af":4,"dst_addr":"8.8.8.8","result":[{"hop":1,"res', /PARSE_FAILED|FORMAT_UNKNOWN/],
    ['binary bytes', '\u0000\u0001\u0002\u00ff\u00fe garbage \u0007', /PARSE_FAILED|FORMAT_UNKNOWN/],
  ])('%s gives a clear error and exit status 1', async (_what, content, code) => {
    const file = writeTrace('bad-input.txt', content);
    const run = await runCli(['analyze', file]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(code);
    expect(run.stderr).toContain('bad-input.txt');
  });

  it('one broken line of an NDJSON file costs that line only', async () => {
    const line = JSON.stringify(atlasTrace('8.8.8.8', '8.8.4.4', [[['8.8.4.4', 3]]]));
    const file = writeTrace('mixed.ndjson', `${line}\n{"not":"a trace"}\n${line}\n`);
    const run = await runCli(['analyze', '--json', file]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('line 2');
    expect(run.stdout.trim().split('\n')).toHaveLength(2);
  });

  it('reads standard input with -', async () => {
    const line = JSON.stringify(atlasTrace('8.8.8.8', '8.8.4.4', [[['8.8.4.4', 3]]]));
    const run = await runCli(['analyze', '--json', '-'], `${line}\n`);
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout).input).toBe('stdin');
  });

  it('prints a readable table by default', async () => {
    const line = JSON.stringify(atlasTrace('8.8.8.8', '8.8.4.4', [[['8.8.4.4', 3]]]));
    const run = await runCli(['analyze', '-'], `${line}\n`);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/verdict: [A-Z-]+/);
    expect(run.stdout).toMatch(/TTL\s+address/);
  });

  it('the installed command exits 0 on --help and 2 on an unknown command', async () => {
    const run = promisify(execFile);
    const bin = path.join(repoRoot, 'bin/detourwatch.js');
    const help = await run(process.execPath, [bin, '--help']);
    expect(help.stdout).toContain('analyze');
    await expect(run(process.execPath, [bin, 'frobnicate'])).rejects.toMatchObject({ code: 2 });
  });
});
