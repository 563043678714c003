import { describe, expect, it } from 'vitest';
import type { Trace } from '../../protocol/trace.ts';
import {
  destinationIpResponded,
  hopMedianRtt,
  isSuccess,
  lastHopErrors,
  lastHopResponded,
  lastMedianRtt,
} from '../../server/parse/atlas-summary.ts';
import { parseTraceLine, parseTraces } from '../../server/parse/index.ts';

/** A RIPE Atlas traceroute result in the shape probes (firmware 4790+) report it. */
function result(hops: unknown[], extra: Record<string, unknown> = {}) {
  return {
    af: 4,
    dst_addr: '198.51.100.7',
    dst_name: 'www.example.com',
    endtime: 1700000030,
    from: '203.0.113.77',
    fw: 5080,
    lts: 12,
    msm_id: 5001,
    msm_name: 'Traceroute',
    paris_id: 3,
    prb_id: 6001,
    proto: 'ICMP',
    result: hops,
    size: 48,
    src_addr: '192.168.1.10',
    timestamp: 1700000000,
    type: 'traceroute',
    ...extra,
  };
}

const reply = (from: string, rtt: number, extra: Record<string, unknown> = {}) => ({
  from,
  rtt,
  size: 76,
  ttl: 250,
  ...extra,
});
const star = { x: '*' };

function one(value: unknown): Trace {
  const traces = parseTraces(JSON.stringify(value), 'atlas');
  expect(traces).toHaveLength(1);
  return traces[0] as Trace;
}

describe('RIPE Atlas traceroute results', () => {
  it('maps the result header to the Trace and keeps Atlas metadata', () => {
    const trace = one(result([{ hop: 1, result: [reply('192.168.1.1', 0.9)] }]));
    expect(trace).toMatchObject({
      tool: 'atlas',
      method: 'icmp-paris',
      ipVersion: 4,
      source: { address: '192.168.1.10' },
      destination: { address: '198.51.100.7', name: 'www.example.com' },
      startedAt: '2023-11-14T22:13:20.000Z',
      flowId: 3,
      meta: {
        msm_id: 5001,
        prb_id: 6001,
        fw: 5080,
        paris_id: 3,
        proto: 'ICMP',
        timestamp: 1700000000,
        endtime: 1700000030,
        lts: 12,
        from: '203.0.113.77',
      },
    });
  });

  it.each([
    ['UDP', 1, 'udp-paris'],
    ['TCP', 2, 'tcp-paris'],
    ['ICMP', 16, 'icmp-paris'],
    ['ICMP', 0, 'icmp'], // 0 is what Atlas reports with Paris mode off: no flow stability claimed
    ['UDP', undefined, 'udp'],
  ])('proto %s with paris_id %s -> %s', (proto, parisId, method) => {
    expect(one(result([], { proto, paris_id: parisId })).method).toBe(method);
  });

  it('keeps replies, timeouts, reply TTLs and the hop 255 probe; drops late packets', () => {
    const trace = one(
      result([
        { hop: 1, result: [reply('192.168.1.1', 1.1), reply('192.168.1.1', 0.9), star] },
        { hop: 2, result: [{ late: 2, from: '192.168.1.1', ttl: 64, size: 28 }, star, star] },
        { hop: 255, result: [star, star, star] },
      ]),
    );
    expect(trace.hops.map((h) => [h.ttl, h.replies.map((r) => [r.address, r.rttMs, r.replyTtl])])).toEqual([
      [
        1,
        [
          ['192.168.1.1', 1.1, 250],
          ['192.168.1.1', 0.9, 250],
          [null, null, undefined],
        ],
      ],
      [
        2,
        [
          [null, null, undefined],
          [null, null, undefined],
        ],
      ],
      [
        255,
        [
          [null, null, undefined],
          [null, null, undefined],
          [null, null, undefined],
        ],
      ],
    ]);
  });

  it.each([
    ['N', 4, 'network-unreachable'],
    ['H', 6, 'host-unreachable'],
    ['A', 4, 'admin-prohibited'],
    ['P', 4, 'protocol-unreachable'],
    ['p', 4, 'port-unreachable'],
    ['h', 6, 'other'],
    [13, 4, 'admin-prohibited'],
    [1, 6, 'admin-prohibited'],
    [3, 6, 'host-unreachable'],
  ])('err %j (IPv%i) -> %s, raw code kept', (err, af, flag) => {
    const [dst, router] = af === 4 ? ['198.51.100.7', '192.0.2.1'] : ['2001:db8:1::7', '2001:db8::1'];
    const trace = one(
      result([{ hop: 1, result: [reply(router, 3, { err })] }], { af, dst_addr: dst, src_addr: undefined }),
    );
    expect(trace.hops[0]?.replies[0]).toMatchObject({ flag, rawFlag: String(err) });
  });

  it('keeps a hop-level error, also on an entry without a hop number', () => {
    const trace = one(
      result([{ error: 'name resolution failed: non-recoverable failure in name resolution (1)' }], {
        dst_addr: undefined,
        src_addr: undefined,
        from: '',
      }),
    );
    expect(trace.destination.address).toBeNull();
    expect(trace.source.address).toBeNull();
    expect(trace.meta?.from).toBeUndefined();
    expect(trace.hops).toEqual([
      {
        ttl: 1,
        replies: [],
        error: 'name resolution failed: non-recoverable failure in name resolution (1)',
      },
    ]);
  });

  it('turns icmpext MPLS objects into labels', () => {
    const icmpext = {
      version: 2,
      rfc4884: 1,
      obj: [{ class: 1, type: 1, mpls: [{ exp: 0, label: 299808, s: 1, ttl: 1 }] }],
    };
    const trace = one(result([{ hop: 4, result: [reply('203.0.113.4', 20.1, { icmpext })] }]));
    expect(trace.hops[0]?.replies[0]?.mpls).toEqual([{ label: 299808, tc: 0, s: true, ttl: 1 }]);
  });

  it('infers the address family when af is absent', () => {
    const trace = one(result([], { af: undefined, dst_addr: '2001:db8:1::7', src_addr: '2001:db8::10' }));
    expect(trace.ipVersion).toBe(6);
  });

  it('reads a single object, a JSON array and NDJSON, pretty-printed or not', () => {
    const a = result([{ hop: 1, result: [reply('192.0.2.1', 1)] }]);
    const b = result([{ hop: 1, result: [reply('192.0.2.2', 2)] }], { prb_id: 6002 });
    const expected = [one(a), one(b)];
    expect(parseTraces(JSON.stringify([a, b]))).toEqual(expected);
    expect(parseTraces(JSON.stringify([a, b], null, 2))).toEqual(expected);
    expect(parseTraces(`${JSON.stringify(a)}\n\n${JSON.stringify(b)}\n`)).toEqual(expected);
    expect(parseTraces(`${JSON.stringify(a)}\r\n${JSON.stringify(b)}\r\n`)).toEqual(expected);
    expect([...parseTraceLine(JSON.stringify(a)), ...parseTraceLine(JSON.stringify(b), 'atlas')]).toEqual(
      expected,
    );
  });

  it.each([
    ['type is ping', { type: 'ping' }, /"type" must be "traceroute"/],
    ['result is missing', { result: undefined }, /"result" must be an array/],
    ['af is 5', { af: 5 }, /"af" must be 4 or 6/],
    ['dst_addr is a name', { dst_addr: 'example.com' }, /"dst_addr"/],
    ['proto is SCTP', { proto: 'SCTP' }, /"proto"/],
    ['paris_id is negative', { paris_id: -1 }, /"paris_id"/],
    ['timestamp is text', { timestamp: 'now' }, /"timestamp"/],
    ['prb_id is fractional', { prb_id: 1.5 }, /"prb_id"/],
    ['a hop number is 256', { result: [{ hop: 256, result: [] }] }, /result\[0\]\.hop/],
    ['a hop is not an object', { result: [7] }, /result\[0\]/],
    [
      'a packet rtt is negative',
      { result: [{ hop: 1, result: [reply('192.0.2.1', -3)] }] },
      /result\[0\]\.result\[0\]\.rtt/,
    ],
    [
      'a packet from is garbage',
      { result: [{ hop: 1, result: [reply('x.y', 3)] }] },
      /result\[0\]\.result\[0\]\.from/,
    ],
    ['an err is an object', { result: [{ hop: 1, result: [reply('192.0.2.1', 3, { err: {} })] }] }, /\.err/],
    ['an error is huge', { result: [{ hop: 1, error: 'e'.repeat(5000) }] }, /result\[0\]\.error/],
    [
      'an MPLS ttl is 300',
      {
        result: [
          {
            hop: 1,
            result: [
              reply('192.0.2.1', 3, { icmpext: { obj: [{ mpls: [{ exp: 0, label: 1, s: 1, ttl: 300 }] }] } }),
            ],
          },
        ],
      },
      /icmpext/,
    ],
  ])('rejects a result where %s, naming the field', (_what, change, message) => {
    expect(() => parseTraces(JSON.stringify(result([], change)), 'atlas')).toThrow(message);
  });

  it('names the NDJSON line of a bad result', () => {
    const good = JSON.stringify(result([]));
    const bad = JSON.stringify(result([], { af: 9 }));
    expect(() => parseTraces(`${good}\n${good}\n${bad}\n`)).toThrow(/^line 3: "af"/);
  });
});

describe('atlas-summary (sagan semantics)', () => {
  const trace = one(
    result([
      { hop: 1, result: [reply('192.0.2.1', 1.0004), reply('192.0.2.1', 3), reply('192.0.2.1', 2)] },
      { hop: 2, result: [reply('203.0.113.1', 10), reply('203.0.113.1', 12), star] },
      { hop: 3, result: [star, star, star] },
    ]),
  );

  it('computes hop medians (odd and even counts) and the last median RTT, searching backwards', () => {
    expect(hopMedianRtt(trace.hops[0] as Trace['hops'][number])).toBe(2);
    expect(hopMedianRtt(trace.hops[1] as Trace['hops'][number])).toBe(11);
    expect(hopMedianRtt(trace.hops[2] as Trace['hops'][number])).toBeNull();
    expect(lastMedianRtt(trace)).toBe(11);
  });

  it('judges the last hop: responded, success, destination reached, errors', () => {
    expect([lastHopResponded(trace), isSuccess(trace), destinationIpResponded(trace)]).toEqual([
      false,
      false,
      false,
    ]);
    const reached = one(
      result([{ hop: 1, result: [reply('198.51.100.7', 30), reply('198.51.100.7', 31, { err: 'N' })] }]),
    );
    expect([lastHopResponded(reached), isSuccess(reached), destinationIpResponded(reached)]).toEqual([
      true,
      true,
      true,
    ]);
    expect(lastHopErrors(reached)).toEqual(['Network unreachable']);
    const refused = one(result([{ hop: 1, result: [reply('192.0.2.1', 3, { err: 'H' })] }]));
    expect([lastHopResponded(refused), isSuccess(refused)]).toEqual([true, false]);
    expect(lastHopErrors(refused)).toEqual(['Destination unreachable']);
  });
});
