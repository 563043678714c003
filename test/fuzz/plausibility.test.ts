/**
 * Properties of the plausibility check itself: it never throws on any Trace (NaN, infinite and fractional
 * numbers, any strings, thousands of replies), answers the same twice, and within a second; and, run through
 * the analyzer over test databases, no trace it marks implausible is ever judged, least of all a detour.
 */
import { fc, test } from '@fast-check/vitest';
import { afterAll, describe, expect } from 'vitest';
import type { Hop, Reply, Trace } from '../../protocol/trace.ts';
import { MAX_REPLIES_PER_TRACE } from '../../server/parse/limits.ts';
import { greatCircleKm } from '../../server/physics/great-circle.ts';
import type { PlausibilityContext } from '../../server/plausibility/plausibility.ts';
import { checkPlausibility, PLAUSIBILITY_CODES } from '../../server/plausibility/plausibility.ts';
import { CITIES, createWorldAnalyzer } from '../helpers/analyze-world.ts';

const number = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -3, max: 300 }) },
  { weight: 2, arbitrary: fc.double({ min: -10, max: 4_000_000 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      -0,
      2 ** 53 + 2,
    ),
  },
);
const address = fc.oneof(
  fc.constant(null),
  fc.constantFrom('192.0.2.1', '192.0.2.2', '198.51.100.9', '2001:db8::1'),
  fc.string({ maxLength: 80 }),
);
const reply: fc.Arbitrary<Reply> = fc.record(
  {
    address,
    rttMs: fc.option(number, { nil: null }),
    attempt: number,
    name: fc.string({ maxLength: 300 }),
  },
  { requiredKeys: ['address', 'rttMs'] },
);
const stats = fc.record({
  sent: number,
  lossPct: number,
  lastMs: fc.option(number, { nil: null }),
  avgMs: fc.option(number, { nil: null }),
  bestMs: fc.option(number, { nil: null }),
  worstMs: fc.option(number, { nil: null }),
  stdevMs: fc.option(number, { nil: null }),
});
const hop: fc.Arbitrary<Hop> = fc.record(
  { ttl: number, replies: fc.array(reply, { maxLength: 24 }), stats },
  { requiredKeys: ['ttl', 'replies'] },
);
const anyTrace: fc.Arbitrary<Trace> = fc.record({
  tool: fc.constantFrom('scamper' as const, 'mtr' as const, 'traceroute' as const, 'atlas' as const),
  method: fc.constantFrom('icmp-paris' as const, 'udp' as const, 'unknown' as const),
  ipVersion: fc.constantFrom(4 as const, 6 as const),
  source: fc.record({ address }),
  destination: fc.record({ address, name: fc.string({ maxLength: 300 }) }, { requiredKeys: ['address'] }),
  startedAt: fc.constant(null),
  hops: fc.array(hop, { maxLength: 40 }),
  meta: fc.record({ mda: fc.boolean() }),
  probing: fc.record(
    { attemptsPerHop: number, probesSent: number, maxTtl: number, listenMs: number },
    { requiredKeys: [] },
  ),
});
const context: fc.Arbitrary<PlausibilityContext> = fc.record(
  {
    expectedDestination: fc.oneof(
      address.map((a) => a ?? ''),
      fc.domain(),
    ),
  },
  { requiredKeys: [] },
);

describe('checkPlausibility on any Trace', () => {
  test.prop([anyTrace, context], { numRuns: 400 })(
    'never throws, and its answer is well formed and stable',
    (trace, ctx) => {
      const result = checkPlausibility(trace, ctx);
      expect(checkPlausibility(trace, ctx)).toEqual(result);
      expect(Number.isInteger(result.duplicates) && result.duplicates >= 0).toBe(true);
      if (result.ok) return;
      expect(result.problems.length).toBeGreaterThan(0);
      // One problem per code at most, each a known code with a bounded message.
      expect(new Set(result.problems.map((p) => p.code)).size).toBe(result.problems.length);
      for (const p of result.problems) {
        expect(PLAUSIBILITY_CODES).toContain(p.code);
        expect(p.ttl === null || Number.isFinite(p.ttl)).toBe(true);
        expect(p.message.length).toBeGreaterThan(0);
        expect(p.message.length).toBeLessThan(400);
      }
    },
  );

  test.prop([fc.array(reply, { minLength: 1, maxLength: 8 }), fc.integer({ min: 1000, max: 5000 })], {
    numRuns: 8,
  })('thousands of replies (past every limit) within a second', (replies, count) => {
    const perHop = Math.ceil((MAX_REPLIES_PER_TRACE + count) / 255);
    const hops = Array.from({ length: 255 }, (_, i) => ({
      ttl: i + 1,
      replies: Array.from({ length: perHop }, (_, j) => replies[j % replies.length] as Reply),
    }));
    const trace: Trace = {
      tool: 'scamper',
      method: 'icmp-paris',
      ipVersion: 4,
      source: { address: '192.0.2.1' },
      destination: { address: '198.51.100.9' },
      startedAt: null,
      hops,
    };
    const started = performance.now();
    const result = checkPlausibility(trace);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(result.ok ? [] : result.problems.map((p) => p.code)).toContain('too-many-replies');
  });
});

// ---- through the analyzer: implausible is never judged ----

const analyzer = createWorldAnalyzer();
const SAN_JOSE = { ...CITIES.sanJose, source: 'declared' as const };
const SRC = '192.0.2.5';
const DST = '203.0.113.9';
const toShanghai = greatCircleKm(CITIES.sanJose, CITIES.shanghai) / 100;
const viaShanghai = toShanghai + greatCircleKm(CITIES.shanghai, CITIES.washington) / 100;

/** A San Jose -> Shanghai -> Washington path as scamper prints it (3 attempts, 30 hops max, 1 s wait). */
const boomerang = fc
  .record({ slack: fc.double({ min: 5, max: 80, noNaN: true }), shanghai: fc.integer({ min: 1, max: 120 }) })
  .map(({ slack, shanghai }): Trace => {
    const path: [string, number][] = [
      ['192.0.2.1', 0.8],
      [`198.51.100.${shanghai}`, toShanghai + slack],
      ['203.0.113.1', viaShanghai + slack],
      [DST, viaShanghai + slack + 1],
    ];
    return {
      tool: 'scamper',
      method: 'icmp-paris',
      ipVersion: 4,
      source: { address: SRC },
      destination: { address: DST },
      startedAt: '2026-03-01T12:00:00.000Z',
      flowId: 4711,
      hops: path.map(([ip, rtt], i) => ({
        ttl: i + 1,
        replies: [1, 2, 3].map((attempt) => ({ address: ip, rttMs: rtt + attempt / 10, attempt })),
      })),
      probing: { attemptsPerHop: 3, maxTtl: 30, probesSent: 12, listenMs: 12_000 },
    };
  });

type Tampering = (t: Trace, n: number) => { trace: Trace; context?: PlausibilityContext };
const edit = (t: Trace, i: number, change: (h: Hop) => Hop): Trace => ({
  ...t,
  hops: t.hops.map((h, k) => (k === i % t.hops.length ? change(h) : h)),
});
const TAMPERINGS: Record<string, Tampering> = {
  none: (t) => ({ trace: t }),
  'another address answers a probe': (t, n) => ({
    trace: edit(t, n, (h) => ({
      ...h,
      replies: [...h.replies, { address: '198.51.100.200', rttMs: 150, attempt: 1 }],
    })),
  }),
  'an RTT beyond the wait': (t, n) => ({
    trace: edit(t, n, (h) => ({ ...h, replies: h.replies.map((r) => ({ ...r, rttMs: 12_001 + n })) })),
  }),
  'a TTL beyond the maximum': (t, n) => ({ trace: edit(t, n, (h) => ({ ...h, ttl: 31 + (n % 200) })) }),
  'a hop after the destination': (t, n) => ({
    trace: {
      ...t,
      hops: [...t.hops, { ttl: 5 + (n % 20), replies: [{ address: '203.0.113.2', rttMs: 300, attempt: 1 }] }],
    },
  }),
  'too many answers at a TTL': (t, n) => ({
    trace: edit(t, n, (h) => ({
      ...h,
      replies: Array.from({ length: 4 + (n % 10) }, (_, a) => ({
        address: h.replies[0]?.address ?? null,
        rttMs: 200,
        attempt: a + 1,
      })),
    })),
  }),
  'a task for another target': (t, n) => ({
    trace: t,
    context: { expectedDestination: `203.0.113.${100 + (n % 100)}` },
  }),
};

const verdicts: Record<string, number> = {};
afterAll(() => {
  console.log(`plausibility fuzz through the analyzer: ${JSON.stringify(verdicts)}`);
  // Not vacuous: untouched paths were judged detours, tampered ones were stopped.
  expect(verdicts.detour ?? 0).toBeGreaterThan(0);
  expect(verdicts.implausible ?? 0).toBeGreaterThan(0);
});

test.prop([boomerang, fc.constantFrom(...Object.keys(TAMPERINGS)), fc.nat()], { numRuns: 250 })(
  'the analyzer never judges an implausible trace, and a detour is always a plausible one',
  (path, name, n) => {
    const { trace, context: ctx } = (TAMPERINGS[name] as Tampering)(path, n);
    const check = checkPlausibility(trace, ctx);
    const verdict = analyzer.analyze(trace, SAN_JOSE, ctx);
    verdicts[verdict.verdict] = (verdicts[verdict.verdict] ?? 0) + 1;
    if (name !== 'none') expect(check.ok).toBe(false);
    if (check.ok) {
      expect(verdict.verdict).not.toBe('implausible');
    } else {
      expect(verdict.verdict).toBe('implausible');
      expect(verdict.problems).toEqual(check.problems);
      expect(verdict.foreignHops).toEqual([]);
    }
    if (verdict.verdict === 'detour') expect(check.ok).toBe(true);
  },
);
