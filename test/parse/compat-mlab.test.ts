/**
 * Compatibility with M-Lab's traceroute-caller: its real scamper `trace` (scamper2) and `tracelb` (scamper1)
 * files. Valid files must give the unique hop addresses M-Lab's Go tests expect; files M-Lab rejects must be
 * rejected here too, with a DetourwatchError.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DetourwatchError } from '../../protocol/errors.ts';
import type { Trace } from '../../protocol/trace.ts';
import { parseTraces } from '../../server/parse/index.ts';
import { sharedFixturesDir, warnSkipped } from '../helpers/fixtures.ts';

const fixtures = sharedFixturesDir();
if (!fixtures) warnSkipped('compat-mlab (M-Lab traceroute-caller scamper files)', 'scamper');
const root = fixtures ? path.join(fixtures, 'scamper/m-lab-traceroute-caller') : '';
const expected: Record<string, Record<string, unknown>> = fixtures
  ? JSON.parse(readFileSync(path.join(root, 'EXPECTED_HOPS.json'), 'utf8'))
  : {};

const SETS = [
  { dir: 'scamper1', key: 'scamper1 (tracelb / MDA, jsonl)', type: 'tracelb' },
  { dir: 'scamper2', key: 'scamper2 (trace, jsonl / json)', type: 'trace' },
] as const;

function uniqueHops(traces: Trace[]): string[] {
  const set = new Set<string>();
  for (const trace of traces) {
    for (const hop of trace.hops) for (const reply of hop.replies) if (reply.address) set.add(reply.address);
  }
  return [...set].sort();
}

const counts = { files: 0, validMatched: 0, invalidRejected: 0, parsedWithoutHopCheck: 0 };

describe.skipIf(!fixtures)('compat: M-Lab traceroute-caller scamper files', () => {
  afterAll(() => {
    console.log(
      `M-Lab compat: ${counts.files} files; ${counts.validMatched} valid with the expected hop set, ${counts.invalidRejected} invalid rejected, ${counts.parsedWithoutHopCheck} valid without a hop list from M-Lab (parsed, type and responders checked)`,
    );
  });

  for (const set of SETS) {
    const expectations = expected[set.key] ?? {};
    const files = fixtures ? readdirSync(path.join(root, 'parser/testdata', set.dir)).sort() : [];

    it(`${set.dir}: every file has an expectation, or is a valid-* file M-Lab lists no hops for`, () => {
      expect(files.length).toBeGreaterThan(10);
      for (const file of files) expect(file in expectations || file.startsWith('valid-'), file).toBe(true);
    });

    it.each(files)(`${set.dir}/%s`, (file) => {
      counts.files++;
      const text = readFileSync(path.join(root, 'parser/testdata', set.dir, file), 'utf8');
      const want = expectations[file];
      if (typeof want === 'string' && want.startsWith('Err')) {
        expect(() => parseTraces(text, 'scamper'), want).toThrow(DetourwatchError);
        expect(() => parseTraces(text), `${want} (auto)`).toThrow(DetourwatchError);
        counts.invalidRejected++;
        return;
      }
      const traces = parseTraces(text, 'scamper');
      expect(traces).toHaveLength(1);
      expect(parseTraces(text)).toEqual(traces);
      const trace = traces[0] as Trace;
      expect(trace.tool).toBe('scamper');
      expect(trace.meta?.mlab_uuid).toEqual(expect.any(String));
      if (Array.isArray(want)) {
        expect(uniqueHops(traces)).toEqual([...want].sort());
        counts.validMatched++;
      } else {
        // "no error" files, the single-object JSON form and the dst-in-hops files M-Lab lists no hops for:
        // they must parse to the result type they hold, with its responders.
        expect(trace.meta?.mda === true ? 'tracelb' : 'trace').toBe(set.type);
        if (file.startsWith('valid-')) expect(uniqueHops(traces).length).toBeGreaterThan(0);
        counts.parsedWithoutHopCheck++;
      }
    });
  }

  it('valid-complex (trace) keeps the TTL gap and the RTT jump from 2.9 to 135.6 ms', () => {
    const text = readFileSync(path.join(root, 'parser/testdata/scamper2/valid-complex'), 'utf8');
    const trace = parseTraces(text)[0] as Trace;
    const raw = JSON.parse(text.split('\n')[2] as string) as { hops: { probe_ttl: number; rtt: number }[] };
    expect(trace.method).toBe('icmp-paris');
    expect(trace.hops.map((h) => h.ttl)).toEqual(raw.hops.map((h) => h.probe_ttl));
    expect(trace.hops.map((h) => h.replies[0]?.rttMs)).toEqual(raw.hops.map((h) => h.rtt));
  });

  it('valid-simple-json (single-object form) gives the 4 hops of its udp-paris trace', () => {
    const text = readFileSync(path.join(root, 'parser/testdata/scamper2/valid-simple-json'), 'utf8');
    const raw = JSON.parse(text) as { Trace: { hops: { addr: string; probe_ttl: number }[] } };
    const trace = parseTraces(text)[0] as Trace;
    expect(trace.method).toBe('udp-paris');
    expect(trace.meta?.stop_reason).toBe('GAPLIMIT');
    expect(trace.hops.map((h) => [h.ttl, h.replies[0]?.address])).toEqual(
      raw.Trace.hops.map((h) => [h.probe_ttl, h.addr]),
    );
  });
});
