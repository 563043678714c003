/**
 * `detourwatch analyze --jobs N`: a large NDJSON input judged by worker threads gives the same bytes, in the
 * same order, as the single-threaded path, with bad lines named by their line number; a worker that dies ends
 * the command with an error instead of a hang.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnalyzeSettings, analyzeLines } from '../../cli/analyze-batch.ts';
import { startAnalyzePool } from '../../cli/analyze-pool.ts';
import { createAnalyzer } from '../../server/analyze/pipeline.ts';
import { atlasTrace, type WorldHop, writeWorldDatabases } from '../helpers/analyze-world.ts';
import { runCli } from '../helpers/run-cli.ts';

let dir: string;
let dbs: { cityDb: string; asnDb: string };
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'dw-analyze-jobs-'));
  dbs = writeWorldDatabases(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Line n: a domestic path, a detour through Frankfurt or a Shanghai endpoint, with RTTs varying by n. */
function line(n: number): string {
  const host = (net: string) => `${net}.${1 + (n % 60)}`;
  const rtt = 1 + (n % 17) / 10;
  const kinds: WorldHop[][] = [
    [[[host('192.0.2'), rtt]], [[host('203.0.113'), 70 + rtt]]],
    [[[host('192.0.2'), rtt]], [['203.0.113.130', 150 + rtt]], [[host('203.0.113'), 230 + rtt]]],
    [[[host('192.0.2'), rtt]], [['198.51.100.9', 160 + rtt]]],
  ];
  const hops = kinds[n % kinds.length] as WorldHop[];
  const dst = (hops.at(-1)?.[0]?.[0] ?? '') as string;
  return JSON.stringify({ ...atlasTrace(host('192.0.2'), dst, hops), timestamp: 1_760_000_000 + n });
}

// Enough lines that workers, started after the command's in-process lines, get ready and take part.
const LINES = 60_000;
const BAD_LINE = 50_123;

describe('analyze --jobs', () => {
  it('writes the same output in input order with 1 and 2 threads, naming a bad line', async () => {
    const lines = Array.from({ length: LINES }, (_, i) =>
      i + 1 === BAD_LINE ? '{"type": "traceroute",' : line(i + 1),
    );
    const file = path.join(dir, 'many.ndjson');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const common = [
      'analyze',
      '--json',
      '--look-up-documentation',
      '--city-db',
      dbs.cityDb,
      '--asn-db',
      dbs.asnDb,
    ];
    const one = await runCli([...common, '--jobs', '1', file]);
    const two = await runCli([...common, '--jobs', '2', file]);

    expect(one.status).toBe(1);
    expect(two.status).toBe(1);
    expect(two.stdout).toBe(one.stdout);
    expect(two.stderr).toBe(one.stderr);
    const records = two.stdout
      .trimEnd()
      .split('\n')
      .map((r) => JSON.parse(r));
    expect(records).toHaveLength(LINES - 1);
    // Order: each record names its line, and the lines ascend with the bad one missing.
    const where = records.map((r) => Number(/^line (\d+)$/.exec(r.where)?.[1]));
    expect(where.filter((n, i) => n !== (i + 1 < BAD_LINE ? i + 1 : i + 2))).toEqual([]);
    expect(new Set(records.map((r) => r.verdict)).size).toBeGreaterThan(1);
    expect(two.stderr).toContain(`${file} line ${BAD_LINE}: PARSE_FAILED`);
    expect(two.stderr).toContain(`analysed ${LINES - 1} traces; 1 problem`);
  }, 120_000);

  it('gives from a worker the bytes and problems the command would give in its own thread', async () => {
    const settings: AnalyzeSettings = {
      format: 'auto',
      sourcePosition: null,
      json: false,
      analyzer: { ...dbs, lookUpDocumentation: true },
    };
    const batches = [0, 1, 2].map((b) => ({
      label: 'in.ndjson',
      firstLineNumber: 1 + b * 100,
      lines: Array.from({ length: 100 }, (_, i) => (b === 1 && i === 7 ? 'not json' : line(1 + b * 100 + i))),
    }));
    const pool = startAnalyzePool(2, settings);
    try {
      // The same path the command takes once a worker is ready (before that it works in its own thread).
      await expect.poll(() => pool.takesWork(), { timeout: 20_000 }).toBe(true);
      const fromWorkers = await Promise.all(batches.map((batch) => pool.run(batch)));
      const analyzer = createAnalyzer(settings.analyzer);
      batches.forEach((batch, b) => {
        const here = analyzeLines(batch, analyzer, settings);
        const there = fromWorkers[b];
        expect(new TextDecoder().decode(there?.text as Uint8Array)).toBe(here.text);
        expect(there?.problems).toEqual(here.problems);
        expect(there?.analysed).toBe(here.analysed);
      });
      expect(fromWorkers[1]?.problems).toEqual([expect.stringContaining('in.ndjson line 108: PARSE_FAILED')]);
    } finally {
      await pool.close();
    }
  }, 30_000);

  it('refuses --jobs that is not a whole positive number', async () => {
    const run = await runCli(['analyze', '--jobs', '1.5', '-'], line(1));
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--jobs must be a whole number');
  });

  it('fails every batch with WORKER_FAILED when a worker dies, instead of waiting', async () => {
    // A database the worker cannot open makes it throw while starting: a real death of the thread.
    const pool = startAnalyzePool(1, {
      format: 'auto',
      sourcePosition: null,
      json: true,
      analyzer: { cityDb: path.join(dir, 'missing.mmdb') },
    });
    try {
      await expect(pool.run({ label: 'x', firstLineNumber: 1, lines: [line(1)] })).rejects.toMatchObject({
        code: 'WORKER_FAILED',
      });
      await expect(pool.run({ label: 'x', firstLineNumber: 2, lines: [line(2)] })).rejects.toMatchObject({
        code: 'WORKER_FAILED',
      });
    } finally {
      await pool.close();
    }
  }, 30_000);
});
