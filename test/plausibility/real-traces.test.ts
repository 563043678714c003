/**
 * Real tool output passes the plausibility check: every trace of the third-party fixtures (scamper trace and
 * tracelb from M-Lab, RIPE Atlas with its trailing hop 255, Linux/BSD/macOS traceroute and tracepath, mtr), and
 * the project's own captures of the engines the agent runs. A rule that refused any of them would mark real
 * measurements implausible.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Trace } from '../../protocol/trace.ts';
import { parseTraces, type TraceFormat } from '../../server/parse/index.ts';
import { checkPlausibility } from '../../server/plausibility/plausibility.ts';
import { sharedFixturesDir, warnSkipped } from '../helpers/fixtures.ts';

const fixtures = sharedFixturesDir();
if (!fixtures) warnSkipped('plausibility of real traces (scamper, mtr, traceroute, RIPE Atlas)');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(file).isDirectory() ? filesUnder(file) : [file];
  });
}

/** The trace outputs among the fixtures, with the format each holds; databases, notes and jc's JSON are not. */
const SETS: { dir: string; format: TraceFormat; pick: RegExp; min: number }[] = [
  { dir: 'ripe-atlas', format: 'atlas', pick: /results\.(ndjson|json)$/, min: 24 },
  { dir: 'scamper/m-lab-traceroute-caller', format: 'scamper', pick: /\/valid[^/]*$|\.jsonl$/, min: 10 },
  { dir: 'linux-traceroute-text/jc', format: 'traceroute', pick: /\.out$/, min: 23 },
  {
    dir: 'local-tool-output',
    format: 'auto',
    pick: /^(?:scamper-json|mtr-json|traceroute|scamper-text)/,
    min: 12,
  },
];

function tracesOf(file: string, format: TraceFormat): Trace[] {
  return parseTraces(readFileSync(file, 'utf8'), format);
}

describe.skipIf(!fixtures)('plausibility: every real third-party trace passes', () => {
  for (const set of SETS) {
    const root = path.join(fixtures ?? '', set.dir);
    const files = fixtures
      ? filesUnder(root).filter((f) => set.pick.test(set.format === 'auto' ? path.basename(f) : f))
      : [];
    it(`${set.dir}: at least ${set.min} traces, all plausible`, () => {
      const traces = files.flatMap((f) => tracesOf(f, set.format).map((trace) => ({ f, trace })));
      expect(traces.length).toBeGreaterThanOrEqual(set.min);
      const implausible = traces.flatMap(({ f, trace }) => {
        const result = checkPlausibility(trace);
        return result.ok
          ? []
          : [`${path.relative(root, f)}: ${result.problems.map((p) => p.message).join('; ')}`];
      });
      expect(implausible).toEqual([]);
    });
  }

  it('the parsers record what the checks hold traces to (not every bound falls back to its default)', () => {
    const local = path.join(fixtures ?? '', 'local-tool-output');
    const [scamper] = tracesOf(path.join(local, 'scamper-json-trace-icmp-paris-127.0.0.1.json'), 'scamper');
    const [mtr] = tracesOf(path.join(local, 'mtr-json-n-c2-127.0.0.1.json'), 'mtr');
    const [traceroute] = tracesOf(path.join(local, 'traceroute-n-127.0.0.1.txt'), 'traceroute');
    // scamper "attempts":2, "wait":5, "probe_count":1, "hoplimit":0 (its default, so no maximum of its own).
    expect(scamper?.probing).toEqual({ attemptsPerHop: 2, probesSent: 1, listenMs: 5000 });
    expect(scamper?.hops[0]?.replies[0]?.attempt).toBe(1);
    expect(mtr?.probing).toEqual({ attemptsPerHop: 2 });
    expect(traceroute?.probing).toEqual({ maxTtl: 30 });
  });
});

const ENGINE_OUTPUT = fileURLToPath(new URL('../fixtures/engine-output/', import.meta.url));

describe('plausibility: the agent engines own output passes', () => {
  const files = readdirSync(ENGINE_OUTPUT).filter((f) => /-trace-.*\.stdout$/.test(f));

  it.each(files)('%s', (file) => {
    const engine = file.split('-')[0] as 'scamper' | 'mtr' | 'traceroute';
    const traces = tracesOf(path.join(ENGINE_OUTPUT, file), engine);
    expect(traces).toHaveLength(1);
    // The captures traced loopback: the file name says which family.
    const target = file.includes('ipv6') ? '::1' : '127.0.0.1';
    expect(checkPlausibility(traces[0] as Trace, { expectedDestination: target })).toEqual({
      ok: true,
      duplicates: 0,
    });
  });

  it('holds scamper, mtr and traceroute captures', () => {
    expect(new Set(files.map((f) => f.split('-')[0]))).toEqual(new Set(['scamper', 'mtr', 'traceroute']));
  });
});
