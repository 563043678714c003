import { describe, expect, it } from 'vitest';
import type { TraceDetail } from '../../protocol/history-api.ts';
import type { HopReading } from '../../protocol/verdict.ts';
import { hopPhysics, traceEvidence } from '../../server/evidence/trace-evidence.ts';
import type { TraceEvidenceRecord } from '../../server/store/evidence-store.ts';
import { reading } from '../export/detour-fixture.ts';

const OUTPUT = `traceroute to 192.0.2.50 (192.0.2.50), 30 hops max, 60 byte packets
 1  198.51.100.7  1.5 ms  1.25 ms  *
 2  192.0.2.50  3.0 ms  3.1 ms  2.9 ms
`;

function detail(over: Partial<TraceDetail> = {}): TraceDetail {
  return {
    id: 5,
    origin: 'agent',
    agentId: 'ag_1',
    resultId: 'r-5',
    sourceIp: null,
    destinationIp: '192.0.2.50',
    destinationName: null,
    tool: 'traceroute',
    method: 'udp',
    startedAt: '2026-01-01T00:00:00.000Z',
    verdict: 'domestic',
    confidence: null,
    countries: ['US'],
    foreignCountries: [],
    foreignAsns: [],
    late: false,
    ipVersion: 4,
    extraKm: null,
    incidentId: null,
    vantage: null,
    hopsPurged: false,
    hops: [
      { ttl: 1, ip: '198.51.100.7', rttMs: 1.25, replies: 2, status: 'home', country: 'US', asn: null },
      { ttl: 2, ip: '192.0.2.50', rttMs: 2.9, replies: 3, status: 'home', country: 'US', asn: null },
    ],
    verdictDetail: {
      verdict: 'domestic',
      confidence: null,
      homeCountry: 'US',
      source: { ip: null, country: 'US' },
      destination: { ip: '192.0.2.50', country: 'US' },
      countries: ['US'],
      foreignAsns: [],
      foreignHops: [],
      refutedHops: [],
      extraKm: null,
      reason: 'home all the way',
      hops: [
        reading({
          ttl: 1,
          ip: '198.51.100.7',
          status: 'home',
          country: 'US',
          lat: 0,
          lon: 1,
          rttMs: 1.25,
          minRttMs: 0.9,
        }),
        reading({ ttl: 2, ip: '192.0.2.50', status: 'home', country: 'US', lat: 0, lon: 0.5, rttMs: 2.9 }),
      ],
    },
    ...over,
  };
}

function stored(output: string | null): TraceEvidenceRecord {
  return {
    traceId: 5,
    sourcePosition: { lat: 0, lon: 0 },
    result:
      output === null
        ? null
        : {
            resultId: 'r-5',
            agentId: 'ag_1',
            taskId: 't-5',
            target: '192.0.2.50',
            engine: 'traceroute',
            startedAt: '2026-01-01T00:00:00.000Z',
            durationMs: 900,
            receivedAt: '2026-01-01T00:00:01.000Z',
            output,
            error: null,
          },
  };
}

describe("a trace's evidence", () => {
  it('reads every reply from the raw output, timeouts included', () => {
    const e = traceEvidence({ detail: detail(), stored: stored(OUTPUT), kmPerMs: 100 });
    expect(e.raw).toMatchObject({ kind: 'agent-output', output: OUTPUT, taskId: 't-5' });
    expect(e.replies).toEqual({ from: 'raw-output', note: null });
    expect(e.hops.map((h) => h.replies?.map((r) => [r.address, r.rttMs]))).toEqual([
      [
        ['198.51.100.7', 1.5],
        ['198.51.100.7', 1.25],
        [null, null],
      ],
      [
        ['192.0.2.50', 3],
        ['192.0.2.50', 3.1],
        ['192.0.2.50', 2.9],
      ],
    ]);
  });

  it('says where the stored hops disagree with the raw output', () => {
    const changed = OUTPUT.replace('2.9 ms', '2.7 ms');
    const e = traceEvidence({ detail: detail(), stored: stored(changed), kmPerMs: 100 });
    expect(e.replies.from).toBe('raw-output');
    expect(e.replies.note).toBe(
      'the stored hops differ from the raw output at TTL 2; the raw output is what the agent sent',
    );
  });

  it.each([
    [
      'an imported trace',
      detail({ origin: 'import', agentId: null }),
      stored(null),
      /imported trace keeps no raw record/,
    ],
    ['an output retention emptied', detail(), stored(''), /retention deleted the raw output/],
    [
      'an output that is not this trace',
      detail({ destinationIp: '203.0.113.9' }),
      stored(OUTPUT),
      /none of the traces/,
    ],
  ])('falls back to the stored hops for %s, saying why', (_what, d, s, why) => {
    const e = traceEvidence({ detail: d, stored: s, kmPerMs: 100 });
    expect(e.replies.from).toBe('stored-hops');
    expect(e.replies.note).toMatch(why);
    expect(e.hops.every((h) => h.replies === null)).toBe(true);
    expect(e.storedHops).toEqual(d.hops);
  });
});

describe('the physics of a hop', () => {
  const hop = (over: Partial<HopReading>) =>
    reading({ ttl: 1, ip: '192.0.2.1', status: 'home', lat: 0, lon: 1, rttMs: 0.5, minRttMs: 1.0, ...over });

  it.each([
    // One degree of longitude on the equator: 6371.0088 km x pi / 180 = 111.19 km.
    [
      'a claim the RTT cannot reach',
      hop({}),
      { distanceKm: 111.2, rttMs: 0.5, boundKm: 50, neededRttMs: 1, ownRttAllows: false },
    ],
    [
      'one it can',
      hop({ rttMs: 2 }),
      { distanceKm: 111.2, rttMs: 2, boundKm: 200, neededRttMs: 1, ownRttAllows: true },
    ],
    ['with a slower bound (50 km per ms)', hop({ rttMs: 2 }), { boundKm: 100 }, 50],
    [
      'a claim tested without a needed RTT',
      hop({ minRttMs: null }),
      { neededRttMs: null, ownRttAllows: null },
    ],
  ] as const)('of %s', (_what, reading, expected, kmPerMs?: number) => {
    expect(hopPhysics(reading, { lat: 0, lon: 0 }, kmPerMs ?? 100)).toMatchObject(expected);
  });

  it.each([
    ['no place', hop({ lat: null, lon: null })],
    ['no RTT', hop({ rttMs: null })],
  ])('is not measured with %s', (_what, reading) => {
    expect(hopPhysics(reading, { lat: 0, lon: 0 }, 100)).toBeNull();
  });

  it('is not measured without the prober position', () => {
    expect(hopPhysics(hop({}), null, 100)).toBeNull();
  });

  it("carries an implausible trace's problems, named by code and hop (issue 19)", () => {
    const problems = [
      { code: 'rtt-after-wait' as const, ttl: 2, message: 'TTL 2: RTT 3000000 ms is later than 5 s' },
    ];
    const base = detail();
    const implausible = detail({
      verdict: 'implausible',
      verdictDetail: { ...base.verdictDetail, verdict: 'implausible', problems },
    });
    const e = traceEvidence({ detail: implausible, stored: stored(OUTPUT), kmPerMs: 100 });
    expect(e.verdict.verdict).toBe('implausible');
    expect(e.verdict.problems).toEqual(problems);
  });
});
