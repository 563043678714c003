/**
 * The plausibility check inside the one pipeline every trace goes through (server/analyze): a path that is a
 * confirmed detour when real becomes `implausible`, with its problems as reasons and no foreign evidence, as
 * soon as it holds something no tool prints. Real test databases (the project's MMDB writer), real parsers.
 */
import { describe, expect, it } from 'vitest';
import { verdictRecord, verdictTable } from '../../cli/verdict-output.ts';
import type { Trace } from '../../protocol/trace.ts';
import { decideVerdict } from '../../server/detect/verdict.ts';
import { parseTraces } from '../../server/parse/index.ts';
import { greatCircleKm } from '../../server/physics/great-circle.ts';
import { atlasTrace, CITIES, createWorldAnalyzer, type WorldHop } from '../helpers/analyze-world.ts';

const analyzer = createWorldAnalyzer();
const SAN_JOSE = { ...CITIES.sanJose, source: 'declared' as const };

// San Jose -> Shanghai (AS4134) -> Washington, every later reply slow enough for the trip through Shanghai.
const toShanghai = greatCircleKm(CITIES.sanJose, CITIES.shanghai) / 100 + 20;
const throughShanghai = toShanghai - 20 + greatCircleKm(CITIES.shanghai, CITIES.washington) / 100 + 10;
const SRC = '192.0.2.5';
const DST = '203.0.113.9';
const boomerang: WorldHop[] = [
  [['192.0.2.1', 0.8]],
  [['198.51.100.1', toShanghai]],
  [['203.0.113.1', throughShanghai]],
  [[DST, throughShanghai + 1]],
];

function atlas(hops: WorldHop[]): Trace {
  const [trace] = parseTraces(JSON.stringify(atlasTrace(SRC, DST, hops)), 'atlas');
  return trace as Trace;
}

/** The same path as scamper prints it (`-q 3 -w 1`), `extra` replies added to the given TTL's probe 1. */
function scamper(extra: { ttl: number; addr: string }[] = []): Trace {
  const hops = boomerang.flatMap((replies, i) =>
    [1, 2, 3].map((probe_id) => ({
      addr: replies[0]?.[0],
      probe_ttl: i + 1,
      probe_id,
      rtt: replies[0]?.[1],
      icmp_type: 11,
      icmp_code: 0,
    })),
  );
  for (const e of extra)
    hops.push({ addr: e.addr, probe_ttl: e.ttl, probe_id: 1, rtt: toShanghai, icmp_type: 11, icmp_code: 0 });
  const record = {
    type: 'trace',
    method: 'icmp-echo-paris',
    src: SRC,
    dst: DST,
    icmp_sum: 4711,
    start: { sec: 1_760_000_000, usec: 0 },
    attempts: 3,
    hoplimit: 30,
    wait: 1,
    probe_count: hops.length,
    hops,
  };
  const [trace] = parseTraces(`${JSON.stringify(record)}\n`, 'scamper');
  return trace as Trace;
}

describe('pipeline: implausible traces are kept and never judged', () => {
  it('the untouched path is a confirmed detour through CN, from Atlas and from scamper alike', () => {
    for (const trace of [atlas(boomerang), scamper()]) {
      const verdict = analyzer.analyze(trace, SAN_JOSE);
      expect(verdict.verdict).toBe('detour');
      expect(verdict.confidence).toBe('confirmed');
      expect(verdict.problems).toBeUndefined();
    }
  });

  it.each([
    [
      'three routers and the destination answer probe 1 at TTL 2',
      () =>
        scamper([
          { ttl: 2, addr: '198.51.100.2' },
          { ttl: 2, addr: '198.51.100.3' },
          { ttl: 2, addr: DST },
        ]),
      {},
      'one-probe-many-answers',
    ],
    [
      'a Shanghai reply of 3,000,000 ms',
      () => atlas(boomerang.map((h, i) => (i === 1 ? [['198.51.100.1', 3_000_000]] : h))),
      {},
      'rtt-after-wait',
    ],
    [
      '17 packets at the Shanghai hop',
      () => atlas(boomerang.map((h, i) => (i === 1 ? Array(17).fill(h[0]) : h))),
      {},
      'more-answers-than-probes',
    ],
    [
      'a router after the destination',
      () => atlas([...boomerang, [['203.0.113.2', throughShanghai + 2]]]),
      {},
      'hop-after-destination',
    ],
    [
      'another target than the task had',
      () => scamper(),
      { expectedDestination: '203.0.113.77' },
      'destination-not-target',
    ],
  ] as const)('%s: implausible, with the problem as its reason', (_name, build, context, code) => {
    const trace = build();
    const { annotated, verdict } = analyzer.annotateAndJudge(trace, SAN_JOSE, context);
    expect(verdict.verdict).toBe('implausible');
    expect(verdict.confidence).toBeNull();
    expect(verdict.problems?.map((p) => p.code)).toContain(code);
    for (const p of verdict.problems ?? []) expect(verdict.reason).toContain(p.message);
    // Nothing that incidents, baselines or "detours via" read.
    expect(verdict.foreignHops).toEqual([]);
    expect(verdict.foreignAsns).toEqual([]);
    expect(verdict.countries).toEqual([]);
    expect(verdict.extraKm).toBeNull();
    // What was at stake: judged without the check, the same annotation is a detour.
    expect(decideVerdict(annotated, { homeCountry: 'US', kmPerMs: 100 }).verdict).toBe('detour');
    // The trace is kept as it came, still annotated for whoever shows it.
    expect(annotated.trace).toBe(trace);
    expect(verdict.destination.ip).toBe(trace.destination.address);
  });

  it('analyze prints IMPLAUSIBLE with each problem, and --json carries the problems', () => {
    const trace = scamper([{ ttl: 2, addr: '198.51.100.2' }]);
    const verdict = analyzer.analyze(trace, SAN_JOSE);
    const problem = verdict.problems?.[0];
    expect(problem?.code).toBe('one-probe-many-answers');
    const text = verdictTable(trace, verdict, 'trace.json', 'line 1');
    expect(text).toContain('verdict: IMPLAUSIBLE');
    expect(text).toContain(`problem one-probe-many-answers: ${problem?.message}`);
    expect(text).not.toContain('DETOUR');
    const record = verdictRecord(trace, verdict, 'trace.json', 'line 1');
    expect(record.verdict).toBe('implausible');
    expect(record.problems).toEqual(verdict.problems);
  });
});
