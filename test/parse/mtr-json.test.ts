import { describe, expect, it } from 'vitest';
import type { Trace } from '../../protocol/trace.ts';
import { parseTraceLine, parseTraces } from '../../server/parse/index.ts';

function hub(count: number | string, host: string, best: number, extra: Record<string, unknown> = {}) {
  return {
    count,
    host,
    'Loss%': 0.0,
    Snt: 3,
    Last: best + 0.2,
    Avg: best + 0.1,
    Best: best,
    Wrst: best + 0.4,
    StDev: 0.1,
    ...extra,
  };
}

/** `mtr --json -n -c 3` as mtr 0.95 prints it (pretty-printed, numbers). */
function report(hubs: unknown[], head: Record<string, unknown> = {}) {
  const mtr = {
    src: 'probe-host',
    dst: '198.51.100.7',
    tos: 0,
    tests: 3,
    psize: '64',
    bitpattern: '0x00',
    ...head,
  };
  return JSON.stringify({ report: { mtr, hubs } }, null, 4);
}

function one(text: string): Trace {
  const traces = parseTraces(text);
  expect(traces).toHaveLength(1);
  expect(parseTraces(text, 'mtr')).toEqual(traces);
  return traces[0] as Trace;
}

describe('mtr --json', () => {
  it('gives one reply per hop with Best as its RTT, the summary in hop.stats', () => {
    const trace = one(report([hub(1, '192.0.2.1', 0.5), hub(2, '203.0.113.1', 9.25, { 'Loss%': 33.3333 })]));
    expect(trace).toMatchObject({
      tool: 'mtr',
      method: 'unknown',
      ipVersion: 4,
      source: { address: null, name: 'probe-host' },
      destination: { address: '198.51.100.7' },
      startedAt: null,
      meta: { tests: 3, tos: 0, psize: 64 },
    });
    expect(trace.hops.map((h) => [h.ttl, h.replies])).toEqual([
      [1, [{ address: '192.0.2.1', rttMs: 0.5 }]],
      [2, [{ address: '203.0.113.1', rttMs: 9.25 }]],
    ]);
    expect(trace.hops[1]?.stats).toEqual({
      sent: 3,
      lossPct: 33.3333,
      lastMs: 9.45,
      avgMs: 9.35,
      bestMs: 9.25,
      worstMs: 9.65,
      stdevMs: 0.1,
    });
  });

  it('reads "???" hops as timeouts and a fully lost hop as having no RTT', () => {
    const trace = one(
      report([
        hub(1, '???', 0, { 'Loss%': 100.0, Last: 0, Avg: 0, Wrst: 0, StDev: 0 }),
        hub(2, '203.0.113.1', 0, { 'Loss%': 100.0, Last: 0, Avg: 0, Wrst: 0, StDev: 0 }),
      ]),
    );
    expect(trace.hops.map((h) => h.replies)).toEqual([
      [{ address: null, rttMs: null }],
      [{ address: '203.0.113.1', rttMs: null }],
    ]);
    expect(trace.hops[0]?.stats).toMatchObject({ lossPct: 100, bestMs: null, avgMs: null });
  });

  it('reads mtr <= 0.93, which printed count, tos and tests as strings', () => {
    const trace = one(
      report([hub('1', '192.0.2.1', 1), hub('2', '203.0.113.1', 2)], { tos: '0x0', tests: '10' }),
    );
    expect(trace.hops.map((h) => h.ttl)).toEqual([1, 2]);
    expect(trace.meta).toMatchObject({ tos: 0, tests: 10 });
  });

  it.each([
    ['AS64500', 64500],
    ['AS???', undefined],
  ])('-z ASN %s -> %s', (asn, expected) => {
    const trace = one(report([hub(1, '192.0.2.1', 1, { ASN: asn })]));
    expect(trace.hops[0]?.replies[0]?.asn).toBe(expected);
  });

  it('reads -b hosts ("name (address)") and name-only hosts (no -n)', () => {
    const trace = one(
      report([hub(1, 'gw.example.net (192.0.2.1)', 1), hub(2, 'core1.example.net', 2)], {
        dst: 'www.example.com',
      }),
    );
    expect(trace.destination).toEqual({ address: null, name: 'www.example.com' });
    expect(trace.hops.map((h) => h.replies[0])).toEqual([
      { address: '192.0.2.1', rttMs: 1, name: 'gw.example.net' },
      { address: null, rttMs: 2, name: 'core1.example.net' },
    ]);
    expect(trace.ipVersion).toBe(4);
  });

  it('reads IPv6 reports', () => {
    const trace = one(report([hub(1, '2001:db8::1', 1)], { dst: '2001:db8:1::7' }));
    expect(trace.ipVersion).toBe(6);
  });

  it('is a whole document, not a stream of lines', () => {
    expect(() => parseTraceLine(JSON.stringify({ report: { mtr: {}, hubs: [] } }))).toThrow(
      /whole JSON documents/,
    );
  });

  it.each([
    ['report is missing', JSON.stringify({ hubs: [] }), /FORMAT|not a traceroute format/],
    ['hubs is not an array', report({} as unknown as unknown[]), /report\.hubs/],
    ['count is 0', report([hub(0, '192.0.2.1', 1)]), /hubs\[0\]\.count/],
    ['count is 300', report([hub(300, '192.0.2.1', 1)]), /hubs\[0\]\.count/],
    ['count is "x"', report([hub('x', '192.0.2.1', 1)]), /hubs\[0\]\.count/],
    ['a host has a space', report([hub(1, 'two words', 1)]), /hubs\[0\]\.host/],
    ['Loss% is 150', report([hub(1, '192.0.2.1', 1, { 'Loss%': 150 })]), /Loss%/],
    ['Best is negative', report([hub(1, '192.0.2.1', 1, { Best: -1 })]), /hubs\[0\]\.Best/],
    ['ASN is 12', report([hub(1, '192.0.2.1', 1, { ASN: 12 })]), /hubs\[0\]\.ASN/],
    ['dst is missing', report([], { dst: undefined }), /report\.mtr\.dst/],
  ])('rejects a report where %s', (_what, text, message) => {
    expect(() => parseTraces(text)).toThrow(message);
  });
});
