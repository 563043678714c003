/**
 * `detourwatch import atlas` end to end: the real command, the real parser, analysis and store. RIPE's own
 * published results (../shared/fixtures) are imported twice; results over the test world show that imported
 * traces get the same verdicts and incidents as agents' traces.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_FILE } from '../../server/store/sqlite/open.ts';
import { writeWorldDatabases } from '../helpers/analyze-world.ts';
import { runCli } from '../helpers/run-cli.ts';
import {
  detourResult,
  domesticResult,
  ndjson,
  PROBE_LOCATION,
  SAN_JOSE_PROBE,
} from '../history/world-results.ts';

const FIXTURES = path.resolve(import.meta.dirname, '../../../shared/fixtures');
const SAGAN = path.join(FIXTURES, 'ripe-atlas/sagan_traceroute_results.ndjson');
const haveFixtures = existsSync(SAGAN);
if (!haveFixtures) {
  console.warn(
    `SKIPPED: the RIPE Atlas fixture import tests, because ${SAGAN} (../shared/fixtures) is absent`,
  );
}

let dir: string;
let dbs: { cityDb: string; asnDb: string };
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'dw-import-'));
  dbs = writeWorldDatabases(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function freshData(): string {
  return mkdtempSync(path.join(dir, 'data-'));
}

function rows<T>(data: string, sql: string): T[] {
  const db = new Database(path.join(data, DATABASE_FILE), { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

/** The numbers the import summary prints. */
function counts(stdout: string) {
  const m =
    /read (\d+) results \((\d+) traces\).*\nimported (\d+) new, (\d+) already stored, (\d+) failed/s.exec(
      stdout,
    );
  if (!m) throw new Error(`no summary in: ${stdout}`);
  const [, values, traces, imported, duplicates, failed] = m.map(Number);
  return { values, traces, imported, duplicates, failed };
}

describe.skipIf(!haveFixtures)('importing the RIPE Atlas fixtures', () => {
  it('stores each distinct result once, and a second import adds nothing', async () => {
    const data = freshData();
    const lines = readFileSync(SAGAN, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '');
    const distinct = new Set(
      lines.map((l) => {
        const r = JSON.parse(l);
        return `${r.msm_id}:${r.prb_id}:${r.timestamp}`;
      }),
    );

    const first = await runCli(['import', 'atlas', SAGAN, '--data', data]);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(counts(first.stdout)).toEqual({
      values: lines.length,
      traces: lines.length,
      imported: distinct.size,
      duplicates: lines.length - distinct.size,
      failed: 0,
    });
    const stored = rows<{ origin: string; tool: string; import_key: string }>(
      data,
      'SELECT origin, tool, import_key FROM traces',
    );
    expect(stored).toHaveLength(distinct.size);
    expect(new Set(stored.map((r) => r.origin))).toEqual(new Set(['import']));
    expect(new Set(stored.map((r) => r.tool))).toEqual(new Set(['atlas']));
    expect(new Set(stored.map((r) => r.import_key))).toEqual(new Set([...distinct].map((k) => `atlas:${k}`)));

    const second = await runCli(['import', 'atlas', SAGAN, '--data', data]);
    expect(second.status).toBe(0);
    expect(counts(second.stdout)).toMatchObject({ imported: 0, duplicates: lines.length, failed: 0 });
    expect(rows(data, 'SELECT id FROM traces')).toHaveLength(distinct.size);
  });

  it('reads the same results as one JSON array from standard input', async () => {
    const data = freshData();
    const array = `[\n${readFileSync(SAGAN, 'utf8').trim().split('\n').join(',\n')}\n]`;
    const run = await runCli(['import', 'atlas', '-', '--data', data], array);
    expect(run.status).toBe(0);
    const byFile = await runCli(['import', 'atlas', SAGAN, '--data', data]);
    expect(counts(byFile.stdout).imported).toBe(0);
    expect(counts(run.stdout).imported).toBeGreaterThan(0);
  });
});

describe('importing results over the test world', () => {
  const T = 1_760_000_000;
  const world = () => ['--city-db', dbs.cityDb, '--asn-db', dbs.asnDb, '--look-up-documentation'];

  it('judges each result from its probe location, as agents traces are, and groups detours into an incident', async () => {
    const data = freshData();
    const archive = path.join(dir, 'probes.json');
    // A probe archive as RIPE publishes it: a wrapper with the probes under "objects", [lon, lat] order.
    writeFileSync(
      archive,
      JSON.stringify({
        meta: { total_count: 2 },
        objects: [
          { id: SAN_JOSE_PROBE, geometry: { type: 'Point', coordinates: [-121.8863, 37.3382] } },
          { id: 77, geometry: null },
        ],
      }),
    );
    const input = ndjson([
      domesticResult(T),
      detourResult(T + 600),
      detourResult(T + 1200),
      domesticResult(T + 1800),
    ]);
    const run = await runCli(
      ['import', 'atlas', '-', '--data', data, '--probe-archive', archive, ...world()],
      input,
    );
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(/2 probes, 1 located, 1 without a location/);
    expect(run.stdout).toMatch(/2 detour, 2 domestic, 0 foreign-endpoint, 0 inconclusive/);

    const incidents = rows<{
      trace_count: number;
      countries: string;
      asns: string;
      subject: string;
      state: string;
    }>(data, 'SELECT trace_count, countries, asns, subject, state FROM incidents');
    expect(incidents).toEqual([
      { trace_count: 2, countries: '["CN"]', asns: '[4134]', subject: 'region:37,-122', state: 'closed' },
    ]);
    const traces = rows<{ source_lat: number; path_asns: string }>(
      data,
      'SELECT source_lat, path_asns FROM traces',
    );
    expect(traces.every((t) => t.source_lat === 37.3382)).toBe(true);
    expect(JSON.parse(traces[1]?.path_asns ?? '[]')).toEqual([64500, 4134, 64501]);
  });

  it('needs the probe location when the source address cannot be placed (a probe behind NAT)', async () => {
    const behindNat = detourResult(T, { src: '10.0.0.5' });
    const unplaced = await runCli(
      ['import', 'atlas', '-', '--data', freshData(), ...world()],
      ndjson([behindNat]),
    );
    expect(unplaced.status).toBe(0);
    expect(unplaced.stdout).toMatch(/1 new traces came from probes without a known location/);
    expect(unplaced.stdout).toMatch(/0 detour, 0 domestic, 0 foreign-endpoint, 1 inconclusive/);
    const placed = await runCli(
      ['import', 'atlas', '-', '--data', freshData(), '--probe-location', PROBE_LOCATION, ...world()],
      ndjson([behindNat]),
    );
    expect(placed.stdout).toMatch(/1 detour, 0 domestic/);
  });

  it('counts a broken result with its line and imports the others', async () => {
    const data = freshData();
    const input = `${JSON.stringify(detourResult(T))}\n{"type":"traceroute","result":"nope"}\n${JSON.stringify(domesticResult(T + 60))}\n`;
    const run = await runCli(
      ['import', 'atlas', '-', '--data', data, '--probe-location', PROBE_LOCATION, ...world()],
      input,
    );
    expect(run.status).toBe(0);
    expect(counts(run.stdout)).toMatchObject({ values: 3, imported: 2, failed: 1 });
    expect(run.stdout).toMatch(/problem: .*line 2.*"result"/);
  });

  it('keeps what came before a cut-off input, and says where it broke', async () => {
    const data = freshData();
    const input = `[${JSON.stringify(detourResult(T))},\n${JSON.stringify(domesticResult(T + 60)).slice(0, 50)}`;
    const run = await runCli(
      ['import', 'atlas', '-', '--data', data, '--probe-location', PROBE_LOCATION, ...world()],
      input,
    );
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/ends inside a value .*line 2/);
    expect(rows(data, 'SELECT id FROM traces')).toHaveLength(1);
  });

  it('refuses bad options with a message naming them', async () => {
    for (const [args, message] of [
      [['import', 'atlas'], /import atlas FILE/],
      [['import', 'ripe', 'x'], /import atlas FILE/],
      [['import', 'atlas', '-', '--probe-location', '6001=95,0'], /--probe-location must be ID=LAT,LON/],
      [['import', 'atlas', '-', '--incident-quiet', 'soon'], /--incident-quiet/],
      [['import', 'atlas', path.join(dir, 'missing.json')], /cannot read .*missing\.json/],
    ] as const) {
      const run = await runCli([...args]);
      expect(run.status, args.join(' ')).not.toBe(0);
      expect(run.stderr).toMatch(message);
    }
  });
});
