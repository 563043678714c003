/**
 * Each plausibility rule against the case that breaks it, beside a control that differs only there. The base
 * trace is what the agent's scamper prints: 3 attempts per TTL, a 30-hop limit, every probe answered.
 */
import { describe, expect, it } from 'vitest';
import type { PlausibilityCode } from '../../protocol/plausibility.ts';
import type { Hop, Reply, Trace } from '../../protocol/trace.ts';
import { DEFAULT_MAX_WAIT_MS, DEFAULT_PROBES_PER_HOP } from '../../server/plausibility/bounds.ts';
import { checkPlausibility, PLAUSIBILITY_CODES } from '../../server/plausibility/plausibility.ts';

const DST = '198.51.100.9';
const router = (ttl: number) => `192.0.2.${ttl}`;

/** Three answered attempts from one address. */
function hop(ttl: number, address = router(ttl), rttMs = ttl * 2.5): Hop {
  return { ttl, replies: [1, 2, 3].map((attempt) => ({ address, rttMs: rttMs + attempt / 10, attempt })) };
}

function base(): Trace {
  return {
    tool: 'scamper',
    method: 'icmp-paris',
    ipVersion: 4,
    source: { address: '192.0.2.200' },
    destination: { address: DST },
    startedAt: '2026-03-01T12:00:00.000Z',
    hops: [hop(1), hop(2), hop(3), hop(4, DST)],
    probing: { attemptsPerHop: 3, maxTtl: 30, listenMs: 3000 },
  };
}

function withHop(trace: Trace, index: number, replies: Reply[], extra: Partial<Hop> = {}): Trace {
  const hops = trace.hops.map((h, i) => (i === index ? { ...h, replies, ...extra } : h));
  return { ...trace, hops };
}

const unnumbered = (n: number, address: string | null = '192.0.2.3'): Reply[] =>
  Array.from({ length: n }, () => ({ address, rttMs: address === null ? null : 7.5 }));

function codesOf(trace: Trace, context = {}): PlausibilityCode[] {
  const result = checkPlausibility(trace, context);
  return result.ok ? [] : result.problems.map((p) => p.code);
}

function problem(trace: Trace, code: PlausibilityCode, context = {}) {
  const result = checkPlausibility(trace, context);
  expect(result.ok).toBe(false);
  const found = result.ok ? undefined : result.problems.find((p) => p.code === code);
  expect(found, `a ${code} problem`).toBeDefined();
  return found as NonNullable<typeof found>;
}

interface Case {
  name: string;
  trace: () => Trace;
  context?: { expectedDestination?: string };
  codes: PlausibilityCode[];
  ttl: number | null;
  /** Numbers or names from the input the message must carry. */
  mentions: string[];
}

const mtrHop = (ttl: number, sent: number, extra: Partial<NonNullable<Hop['stats']>> = {}): Hop => ({
  ttl,
  replies: [{ address: router(ttl), rttMs: 4 }],
  stats: { sent, lossPct: 0, lastMs: 4.2, avgMs: 4.1, bestMs: 4, worstMs: 4.3, stdevMs: 0.1, ...extra },
});

const mtrTrace = (hops: Hop[]): Trace => ({
  ...base(),
  tool: 'mtr',
  method: 'unknown',
  hops,
  probing: { attemptsPerHop: 3 },
});

const CASES: Case[] = [
  {
    name: 'three routers and the destination answer probe 1 at TTL 2 (the issue)',
    trace: () =>
      withHop(base(), 1, [
        { address: '192.0.2.2', rttMs: 5, attempt: 1 },
        { address: '192.0.2.20', rttMs: 5, attempt: 1 },
        { address: '192.0.2.21', rttMs: 5, attempt: 1 },
        { address: DST, rttMs: 5, attempt: 1 },
      ]),
    // The destination's answer at TTL 2 also puts TTLs 3 and 4 after it.
    codes: ['hop-after-destination', 'one-probe-many-answers'],
    ttl: 2,
    mentions: ['attempt 1', '4 addresses', '192.0.2.20'],
  },
  {
    name: 'two routers answer one probe',
    trace: () =>
      withHop(base(), 2, [
        { address: '192.0.2.3', rttMs: 7, attempt: 1 },
        { address: '192.0.2.33', rttMs: 7, attempt: 1 },
        { address: '192.0.2.3', rttMs: 7, attempt: 2 },
      ]),
    codes: ['one-probe-many-answers'],
    ttl: 3,
    mentions: ['TTL 3', 'attempt 1', '2 addresses', '192.0.2.33'],
  },
  {
    name: 'ten answers at one TTL from a tool that sent two per TTL (the issue)',
    trace: () => ({
      ...base(),
      hops: [1, 2, 3].map((ttl) => ({
        ttl,
        replies: Array.from({ length: ttl === 3 ? 10 : 2 }, (_, i) => ({
          address: router(ttl),
          rttMs: 5,
          attempt: i + 1,
        })),
      })),
      probing: { attemptsPerHop: 2 },
    }),
    codes: ['attempt-beyond-attempts', 'more-answers-than-probes'],
    ttl: 3,
    mentions: ['TTL 3', '10 probes', 'the 2 '],
  },
  {
    name: 'ten unnumbered answers where the tool sent two per TTL',
    trace: () => ({
      ...base(),
      hops: [1, 2, 3].map((ttl) => ({ ttl, replies: unnumbered(ttl === 3 ? 10 : 2, router(ttl)) })),
      probing: { attemptsPerHop: 2 },
    }),
    codes: ['more-answers-than-probes'],
    ttl: 3,
    mentions: ['TTL 3', '10 probes', 'the 2 '],
  },
  {
    name: `${DEFAULT_PROBES_PER_HOP + 1} replies at a TTL where the tool states nothing`,
    trace: () => ({ ...withHop(base(), 2, unnumbered(DEFAULT_PROBES_PER_HOP + 1)), probing: {} }),
    codes: ['more-answers-than-probes'],
    ttl: 3,
    mentions: ['TTL 3', `${DEFAULT_PROBES_PER_HOP + 1} probes`, `the ${DEFAULT_PROBES_PER_HOP} `],
  },
  {
    name: 'an mtr hop that sent 5 probes where mtr ran with -c 3',
    trace: () => mtrTrace([mtrHop(1, 3), mtrHop(2, 5), mtrHop(3, 3)]),
    codes: ['more-answers-than-probes'],
    ttl: 2,
    mentions: ['TTL 2', '5 probes', 'the 3 '],
  },
  {
    name: 'more answers in the trace than the probes the tool counted',
    trace: () => ({ ...base(), probing: { ...base().probing, probesSent: 11 } }),
    codes: ['more-answers-than-probes'],
    ttl: null,
    mentions: ['12 answers', '11 probes'],
  },
  {
    name: 'attempt 4 where the tool made 3',
    trace: () =>
      withHop(base(), 2, [
        { address: '192.0.2.3', rttMs: 7, attempt: 1 },
        { address: '192.0.2.3', rttMs: 7, attempt: 2 },
        { address: '192.0.2.3', rttMs: 7, attempt: 4 },
      ]),
    codes: ['attempt-beyond-attempts'],
    ttl: 3,
    mentions: ['TTL 3', 'attempt 4', 'the 3 '],
  },
  {
    name: 'attempt 0 (attempts count from 1)',
    trace: () =>
      withHop(base(), 0, [
        { address: '192.0.2.1', rttMs: 2, attempt: 0 },
        { address: '192.0.2.1', rttMs: 2, attempt: 1 },
      ]),
    codes: ['attempt-beyond-attempts'],
    ttl: 1,
    mentions: ['TTL 1', 'attempt 0'],
  },
  ...[Number.NaN, Number.POSITIVE_INFINITY, 0, -1].map(
    (rtt): Case => ({
      name: `an RTT of ${rtt}`,
      trace: () =>
        withHop(base(), 1, [
          { address: '192.0.2.2', rttMs: rtt, attempt: 1 },
          { address: '192.0.2.2', rttMs: 5, attempt: 2 },
        ]),
      codes: ['rtt-invalid'],
      ttl: 2,
      mentions: ['TTL 2', String(rtt)],
    }),
  ),
  {
    name: 'a negative StDev in an mtr summary',
    trace: () => mtrTrace([mtrHop(1, 3), mtrHop(2, 3, { stdevMs: -0.5 })]),
    codes: ['rtt-invalid'],
    ttl: 2,
    mentions: ['TTL 2', '-0.5'],
  },
  {
    name: 'an mtr Wrst of 3,000,000 ms',
    trace: () => mtrTrace([mtrHop(1, 3), mtrHop(2, 3, { worstMs: 3_000_000 })]),
    codes: ['rtt-after-wait'],
    ttl: 2,
    mentions: ['TTL 2', 'Wrst', '3000000'],
  },
  {
    name: '3,000,000 ms from a tool that waited 5 s (the issue)',
    trace: () => ({
      ...withHop(base(), 3, [{ address: DST, rttMs: 3_000_000, attempt: 1 }]),
      probing: { attemptsPerHop: 3, listenMs: 5000 },
    }),
    codes: ['rtt-after-wait'],
    ttl: 4,
    mentions: ['TTL 4', '3000000', '5000'],
  },
  {
    name: `an RTT above ${DEFAULT_MAX_WAIT_MS} ms where the tool states no wait`,
    trace: () => ({
      ...withHop(base(), 3, [{ address: DST, rttMs: DEFAULT_MAX_WAIT_MS + 1, attempt: 1 }]),
      probing: {},
    }),
    codes: ['rtt-after-wait'],
    ttl: 4,
    mentions: ['TTL 4', String(DEFAULT_MAX_WAIT_MS + 1), String(DEFAULT_MAX_WAIT_MS)],
  },
  {
    name: 'TTL 0',
    trace: () => ({ ...base(), hops: [{ ...hop(1), ttl: 0 }, ...base().hops.slice(1)] }),
    codes: ['ttl-out-of-range'],
    ttl: 0,
    mentions: ['TTL 0', '30'],
  },
  {
    name: 'TTL 256 where the tool states no maximum',
    trace: () => ({ ...base(), hops: [hop(1), hop(256, DST)], probing: {} }),
    codes: ['ttl-out-of-range'],
    ttl: 256,
    mentions: ['TTL 256', '255'],
  },
  {
    name: 'TTL 2.5',
    trace: () => ({ ...base(), hops: [hop(1), { ...hop(3), ttl: 2.5 }, hop(4, DST)] }),
    codes: ['ttl-out-of-range'],
    ttl: 2.5,
    mentions: ['TTL 2.5'],
  },
  {
    name: 'sixty hops from a tool that stops at 30 (the issue)',
    trace: () => ({
      ...base(),
      hops: Array.from({ length: 60 }, (_, i) => hop(i + 1, i === 59 ? DST : router(i + 1))),
    }),
    codes: ['ttl-out-of-range'],
    ttl: 31,
    mentions: ['TTL 31', '30', 'and 29 more'],
  },
  {
    name: 'TTLs that fall (3 after... 2 after 3)',
    trace: () => ({ ...base(), hops: [hop(1), hop(3), hop(2), hop(4, DST)] }),
    codes: ['ttl-not-rising'],
    ttl: 2,
    mentions: ['TTL 2', 'TTL 3'],
  },
  {
    name: 'one TTL listed twice',
    trace: () => ({ ...base(), hops: [hop(1), hop(2), hop(2), hop(3, DST)] }),
    codes: ['ttl-not-rising'],
    ttl: 2,
    mentions: ['TTL 2 follows TTL 2'],
  },
  {
    name: 'a router answering after the destination did',
    trace: () => ({ ...base(), hops: [hop(1), hop(2), hop(3, DST), hop(4)] }),
    codes: ['hop-after-destination'],
    ttl: 4,
    mentions: ['TTL 4', DST, 'TTL 3'],
  },
  {
    name: 'a tracelb router answering after the last TTL the destination answered at',
    trace: () => ({
      ...base(),
      hops: [hop(1), hop(2, DST), hop(3, DST), hop(4)],
      meta: { mda: true },
      probing: { probesSent: 12 },
    }),
    codes: ['hop-after-destination'],
    ttl: 4,
    mentions: ['TTL 4', 'TTL 3'],
  },
  {
    name: 'a result whose trace went elsewhere than its task (the issue)',
    trace: base,
    context: { expectedDestination: '203.0.113.77' },
    codes: ['destination-not-target'],
    ttl: null,
    mentions: [DST, '203.0.113.77'],
  },
  {
    name: 'a hostname task whose trace names another host',
    trace: () => ({ ...base(), destination: { address: DST, name: 'evil.example.net' } }),
    context: { expectedDestination: 'time-a-g.nist.gov' },
    codes: ['destination-not-target'],
    ttl: null,
    mentions: ['evil.example.net', 'time-a-g.nist.gov'],
  },
  {
    name: 'an address task whose trace names no destination address',
    trace: () => ({ ...base(), destination: { address: null } }),
    context: { expectedDestination: DST },
    codes: ['destination-not-target'],
    ttl: null,
    mentions: [DST],
  },
];

describe('plausibility rules: each breaking case against its control', () => {
  it('the control (the agent scamper trace) passes, with no duplicates', () => {
    expect(checkPlausibility(base())).toEqual({ ok: true, duplicates: 0 });
    expect(checkPlausibility(base(), { expectedDestination: DST }).ok).toBe(true);
  });

  it('every code has a case here', () => {
    const covered = new Set(CASES.flatMap((c) => c.codes));
    covered.add('too-many-hops').add('too-many-replies'); // below: too large for the table's messages
    expect([...PLAUSIBILITY_CODES].filter((code) => !covered.has(code))).toEqual([]);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const trace = c.trace();
    expect(codesOf(trace, c.context).sort()).toEqual([...c.codes].sort());
    const first = problem(trace, c.codes[c.codes.length - 1] as PlausibilityCode, c.context);
    expect(first.ttl).toBe(c.ttl);
    if (c.ttl !== null) expect(first.message).toContain(`TTL ${c.ttl}`);
    for (const text of c.mentions) expect(first.message).toContain(text);
  });
});

describe('plausibility rules: what real tools do passes', () => {
  it('counts the same address answering one probe twice as a duplicate, not a problem', () => {
    const twice = withHop(base(), 1, [
      { address: '192.0.2.2', rttMs: 5, attempt: 1 },
      { address: '192.0.2.2', rttMs: 5.1, attempt: 1 },
      { address: '192.0.2.2', rttMs: 5.2, attempt: 1 },
      { address: '192.0.2.2', rttMs: 5, attempt: 2 },
    ]);
    expect(checkPlausibility(twice)).toEqual({ ok: true, duplicates: 2 });
  });

  it('duplicates do not count as answers against the probes the tool counted', () => {
    const trace = withHop({ ...base(), probing: { ...base().probing, probesSent: 12 } }, 1, [
      ...hop(2).replies,
      { address: '192.0.2.2', rttMs: 5.5, attempt: 3 },
    ]);
    expect(checkPlausibility(trace)).toEqual({ ok: true, duplicates: 1 });
  });

  it('accepts different routers answering different attempts (per-flow load balancing)', () => {
    const balanced = withHop(base(), 1, [
      { address: '192.0.2.2', rttMs: 5, attempt: 1 },
      { address: '192.0.2.22', rttMs: 5, attempt: 2 },
      { address: '192.0.2.23', rttMs: 5, attempt: 3 },
    ]);
    expect(checkPlausibility(balanced).ok).toBe(true);
  });

  it('accepts RTTs up to the stated wait, and up to the cap when none is stated', () => {
    const at = (rttMs: number, probing: Trace['probing']) => ({
      ...withHop(base(), 3, [{ address: DST, rttMs, attempt: 1 }]),
      probing,
    });
    expect(checkPlausibility(at(5000, { listenMs: 5000 })).ok).toBe(true);
    expect(checkPlausibility(at(5000.001, { listenMs: 5000 })).ok).toBe(false);
    expect(checkPlausibility(at(DEFAULT_MAX_WAIT_MS, {})).ok).toBe(true);
    // A stated wait longer than any tool's is held to the cap.
    expect(checkPlausibility(at(DEFAULT_MAX_WAIT_MS + 1, { listenMs: 10 * DEFAULT_MAX_WAIT_MS })).ok).toBe(
      false,
    );
  });

  it('accepts timeouts after the destination (only answers end a trace) and a trace that never arrived', () => {
    const stars = { ...base(), hops: [hop(1), hop(2, DST), { ttl: 3, replies: unnumbered(3, null) }] };
    expect(checkPlausibility(stars).ok).toBe(true);
    const atlasLike = {
      ...base(),
      hops: [hop(1), hop(2), { ttl: 255, replies: unnumbered(3, null) }],
      probing: {},
    };
    expect(checkPlausibility(atlasLike).ok).toBe(true);
  });

  it('accepts a tracelb destination reached at two TTLs (load-balanced paths of unequal length)', () => {
    const mda = { ...base(), hops: [hop(1), hop(2, DST), hop(3, DST)], meta: { mda: true }, probing: {} };
    expect(checkPlausibility(mda).ok).toBe(true);
    // The same hops from a tool that stops at the destination are not real.
    expect(codesOf({ ...mda, meta: {} })).toEqual(['hop-after-destination']);
  });

  it.each([
    ['the same address, spelled as IPv4-mapped IPv6', `::ffff:${DST}`, {}],
    ['a hostname the output does not name', 'time-a-g.nist.gov', {}],
    [
      'a hostname the output names in other case, with the root dot',
      'Time-A-G.nist.gov.',
      { name: 'time-a-g.nist.gov' },
    ],
  ])('accepts a target that is %s', (_what, expectedDestination, destination) => {
    const trace = { ...base(), destination: { address: DST, ...destination } };
    expect(checkPlausibility(trace, { expectedDestination }).ok).toBe(true);
  });
});

describe('plausibility rules: size limits', () => {
  it('refuses more hops than there are TTLs', () => {
    const hops = Array.from({ length: 300 }, (_, i) => ({ ttl: i + 1, replies: [] }));
    const found = problem({ ...base(), hops, probing: {} }, 'too-many-hops');
    expect(found.message).toContain('300 hops');
  });

  it('refuses a trace carrying 18,787 replies (the issue)', () => {
    const total = 18_787;
    const hops = Array.from({ length: 30 }, (_, i) => ({
      ttl: i + 1,
      replies: unnumbered(Math.floor(total / 30) + (i < total % 30 ? 1 : 0), router(i + 1)),
    }));
    expect(hops.reduce((n, h) => n + h.replies.length, 0)).toBe(total);
    const found = problem({ ...base(), hops }, 'too-many-replies');
    expect(found.message).toContain('18787 replies');
  });

  it('reports each code once, saying how many more there were', () => {
    const hops = base().hops.map((h) => ({ ...h, replies: h.replies.map((r) => ({ ...r, rttMs: -1 })) }));
    const result = checkPlausibility({ ...base(), hops });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.code)).toEqual(['rtt-invalid']);
    expect(result.problems[0]?.message).toContain(`and ${base().hops.length * 3 - 1} more like it`);
  });
});
