/**
 * `analyze --jobs N` with the embedded databases (issue 17): the workers look up in the ASN tables and City
 * files the command's thread loaded (SharedArrayBuffers handed over in workerData) instead of loading their
 * own, and their output is byte for byte what one thread writes, on the real RIPE Atlas results of
 * ../shared/fixtures with their addresses varied so that lookups span the tables.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { varyAddresses } from '../../bench/vary-addresses.ts';
import { type AnalyzeSettings, analyzeLines } from '../../cli/analyze-batch.ts';
import { startAnalyzePool } from '../../cli/analyze-pool.ts';
import { createAnalyzer } from '../../server/analyze/pipeline.ts';
import { shareGeoTables } from '../../server/geo/shared-tables.ts';
import { runCli } from '../helpers/run-cli.ts';
import { sharedFixtures, skipUnless } from '../helpers/skips.ts';

const FIXTURES = path.resolve(import.meta.dirname, '../../../shared/fixtures/ripe-atlas');
const options = skipUnless('analyze --jobs on the real Atlas corpus', sharedFixtures('ripe-atlas'));

/** The corpus' lines, each in `variants` address variants: lines * variants lines in all. */
function corpusLines(variants: number): string[] {
  const lines = readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.ndjson'))
    .sort()
    .flatMap((f) => readFileSync(path.join(FIXTURES, f), 'utf8').split('\n'))
    .filter((line) => line.trim() !== '');
  return Array.from({ length: variants }, (_, v) => lines.map((line) => varyAddresses(line, v))).flat();
}

describe('analyze workers over shared tables', options, () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'dw-analyze-shared-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('shares the tables in shared memory, not copies', () => {
    const tables = shareGeoTables({});
    const asn = Object.values(tables.asn);
    expect(asn.length).toBe(2);
    for (const { rows } of asn) {
      expect(rows.count).toBeGreaterThan(1000);
      for (const column of [rows.starts, rows.ends, rows.asns, rows.orgIndex]) {
        expect(column.buffer).toBeInstanceOf(SharedArrayBuffer);
      }
    }
    const files = Object.values(tables.mmdb);
    expect(files.length).toBe(2);
    for (const file of files) {
      expect(file.bytes.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(file.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('a worker gives the bytes this thread gives, batch by batch', async () => {
    const lines = corpusLines(40);
    const settings: AnalyzeSettings = { format: 'auto', sourcePosition: null, json: true, analyzer: {} };
    const batches = [0, 1, 2, 3].map((b) => ({
      label: 'atlas.ndjson',
      firstLineNumber: 1 + b * 200,
      lines: lines.slice(b * 200, (b + 1) * 200),
    }));
    const pool = startAnalyzePool(2, settings);
    try {
      await expect.poll(() => pool.takesWork(), { timeout: 30_000 }).toBe(true);
      const fromWorkers = await Promise.all(batches.map((batch) => pool.run(batch)));
      const analyzer = createAnalyzer(settings.analyzer);
      batches.forEach((batch, b) => {
        const here = analyzeLines(batch, analyzer, settings);
        expect(here.analysed).toBe(batch.lines.length);
        expect(new TextDecoder().decode(fromWorkers[b]?.text as Uint8Array)).toBe(here.text);
        expect(fromWorkers[b]?.problems).toEqual(here.problems);
      });
      // The lookups were real: the corpus' hops have ASNs in the embedded tables.
      expect(batches.some((batch) => analyzeLines(batch, analyzer, settings).text.includes('"asn":'))).toBe(
        true,
      );
    } finally {
      await pool.close();
    }
  }, 60_000);

  it('the command writes the same bytes with 1 and 2 threads', async () => {
    // Past the 16,384 lines the command judges itself, so that the workers take most of it.
    const lines = corpusLines(Math.ceil(40_000 / corpusLines(1).length));
    const file = path.join(dir, 'atlas.ndjson');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const one = await runCli(['analyze', '--json', '--jobs', '1', file]);
    const two = await runCli(['analyze', '--json', '--jobs', '2', file]);
    expect(one.status).toBe(0);
    expect(two.status).toBe(0);
    expect(two.stdout.length).toBeGreaterThan(0);
    expect(two.stdout).toBe(one.stdout);
    expect(two.stderr).toBe(one.stderr);
    expect(two.stdout.split('\n').length - 1).toBe(lines.length);
  }, 240_000);
});
