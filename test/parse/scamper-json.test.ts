import { describe, expect, it } from 'vitest';
import { DetourwatchError } from '../../protocol/errors.ts';
import type { Trace } from '../../protocol/trace.ts';
import { parseTraceLine, parseTraces } from '../../server/parse/index.ts';

const START = { type: 'cycle-start', list_name: 'default', id: 0, hostname: 'probe', start_time: 1700000000 };
const STOP = { type: 'cycle-stop', list_name: 'default', id: 0, hostname: 'probe', stop_time: 1700000003 };

function hop(ttl: number, addr: string, rtt: number, extra: Record<string, unknown> = {}) {
  return {
    addr,
    probe_ttl: ttl,
    probe_id: 1,
    probe_size: 44,
    rtt,
    reply_ttl: 250,
    icmp_type: 11,
    icmp_code: 0,
    ...extra,
  };
}

/** A scamper 20211212 `trace -P icmp-paris` result, as written by `-O json`. */
function icmpParis(hops: unknown[], extra: Record<string, unknown> = {}) {
  return {
    type: 'trace',
    version: '0.1',
    userid: 0,
    method: 'icmp-echo-paris',
    src: '192.0.2.10',
    dst: '198.51.100.7',
    icmp_sum: 51234,
    stop_reason: 'COMPLETED',
    stop_data: 0,
    start: { sec: 1700000000, usec: 250000, ftime: '2023-11-14 22:13:20' },
    hop_count: 4,
    attempts: 3,
    hoplimit: 0,
    firsthop: 1,
    wait: 1,
    wait_probe: 0,
    tos: 0,
    probe_size: 44,
    probe_count: 9,
    hops,
    ...extra,
  };
}

const lines = (...records: unknown[]) => `${records.map((r) => JSON.stringify(r)).join('\n')}\n`;

function one(text: string): Trace {
  const traces = parseTraces(text, 'scamper');
  expect(traces).toHaveLength(1);
  return traces[0] as Trace;
}

describe('scamper trace', () => {
  it('maps the header: method, endpoints, start time, flow id, stop reason', () => {
    const trace = one(lines(START, icmpParis([hop(1, '192.0.2.1', 0.5)]), STOP));
    expect(trace).toMatchObject({
      tool: 'scamper',
      method: 'icmp-paris',
      ipVersion: 4,
      source: { address: '192.0.2.10' },
      destination: { address: '198.51.100.7' },
      startedAt: '2023-11-14T22:13:20.250Z',
      flowId: 51234,
      meta: { stop_reason: 'COMPLETED', attempts: 3, firsthop: 1 },
    });
  });

  it.each([
    ['icmp-echo-paris', 'icmp-paris', { icmp_sum: 777 }, 777],
    ['udp-paris', 'udp-paris', { sport: 40001, dport: 33435 }, 40001],
    ['tcp', 'tcp-paris', { sport: 40002, dport: 443 }, 40002],
    ['tcp-ack', 'tcp-paris', { sport: 40003, dport: 80 }, 40003],
    ['icmp-echo', 'icmp', {}, undefined],
    ['udp', 'udp', { sport: 40004, dport: 33435 }, undefined],
    ['some-future-method', 'unknown', {}, undefined],
  ])('method %s -> %s with flow id %s', (method, expected, fields, flowId) => {
    const { icmp_sum: _drop, ...base } = icmpParis([]);
    const trace = one(lines({ ...base, method, ...fields }));
    expect(trace.method).toBe(expected);
    expect(trace.flowId).toBe(flowId);
  });

  it('groups replies by probe TTL, keeps gaps, several responders and the reply fields', () => {
    const trace = one(
      lines(
        icmpParis([
          hop(1, '192.0.2.1', 0.41, { name: 'gw.example.net', reply_ttl: 64 }),
          hop(1, '192.0.2.1', 0.39),
          hop(2, '203.0.113.5', 7.1),
          hop(2, '203.0.113.6', 7.4),
          hop(5, '198.51.100.7', 71.25, { icmp_type: 0, icmp_code: 0, reply_ttl: 52 }),
        ]),
      ),
    );
    expect(trace.hops.map((h) => [h.ttl, h.replies.map((r) => [r.address, r.rttMs])])).toEqual([
      [
        1,
        [
          ['192.0.2.1', 0.41],
          ['192.0.2.1', 0.39],
        ],
      ],
      [
        2,
        [
          ['203.0.113.5', 7.1],
          ['203.0.113.6', 7.4],
        ],
      ],
      [5, [['198.51.100.7', 71.25]]],
    ]);
    expect(trace.hops[0]?.replies[0]).toEqual({
      address: '192.0.2.1',
      rttMs: 0.41,
      name: 'gw.example.net',
      replyTtl: 64,
      icmpType: 11,
      icmpCode: 0,
      attempt: 1,
    });
    expect(trace.hops[2]?.replies[0]?.flag).toBeUndefined();
  });

  it.each([
    [4, 3, 0, 'network-unreachable'],
    [4, 3, 1, 'host-unreachable'],
    [4, 3, 3, 'port-unreachable'],
    [4, 3, 4, 'fragmentation-needed'],
    [4, 3, 13, 'admin-prohibited'],
    [4, 11, 0, undefined],
    [4, 0, 0, undefined],
    [4, 12, 0, 'other'],
    [6, 3, 0, undefined], // ICMPv6 time exceeded
    [6, 129, 0, undefined], // ICMPv6 echo reply
    [6, 1, 0, 'network-unreachable'],
    [6, 1, 1, 'admin-prohibited'],
    [6, 1, 3, 'host-unreachable'],
    [6, 1, 4, 'port-unreachable'],
    [6, 2, 0, 'fragmentation-needed'],
  ])('IPv%i ICMP type %i code %i -> flag %s', (version, type, code, flag) => {
    const [src, dst, router] =
      version === 4
        ? ['192.0.2.10', '198.51.100.7', '192.0.2.1']
        : ['2001:db8::10', '2001:db8:1::7', '2001:db8::1'];
    const trace = one(
      lines(icmpParis([hop(1, router, 1, { icmp_type: type, icmp_code: code })], { src, dst })),
    );
    expect(trace.ipVersion).toBe(version);
    expect(trace.hops[0]?.replies[0]?.flag).toBe(flag);
  });

  it('turns icmpext MPLS objects into labels', () => {
    const mpls = {
      icmpext: [
        {
          ie_cn: 1,
          ie_ct: 1,
          ie_dl: 8,
          mpls_labels: [
            { mpls_ttl: 1, mpls_s: 0, mpls_exp: 0, mpls_label: 24001 },
            { mpls_ttl: 1, mpls_s: 1, mpls_exp: 5, mpls_label: 16 },
          ],
        },
        { ie_cn: 2, ie_ct: 1, ie_dl: 4 },
      ],
    };
    const trace = one(lines(icmpParis([hop(3, '203.0.113.9', 12, mpls)])));
    expect(trace.hops[0]?.replies[0]?.mpls).toEqual([
      { label: 24001, tc: 0, s: false, ttl: 1 },
      { label: 16, tc: 5, s: true, ttl: 1 },
    ]);
  });

  it('reads a trace with no "hops" member (nothing answered) as a trace with no hops', () => {
    const { hops: _none, ...empty } = icmpParis([]);
    expect(one(lines(START, empty, STOP)).hops).toEqual([]);
  });

  it('normalises IPv6 spelling and IPv4-mapped addresses', () => {
    const trace = one(
      lines(icmpParis([hop(1, '2001:DB8:0:0::1', 1)], { src: '2001:db8::10', dst: '2001:0db8:0001::7' })),
    );
    expect(trace.destination.address).toBe('2001:db8:1::7');
    expect(trace.hops[0]?.replies[0]?.address).toBe('2001:db8::1');
  });

  it('reads several traces in one file, skipping cycle records', () => {
    const a = icmpParis([hop(1, '192.0.2.1', 1)]);
    const b = icmpParis([hop(1, '192.0.2.1', 2)], { dst: '198.51.100.8' });
    const traces = parseTraces(lines(START, a, b, STOP));
    expect(traces.map((t) => t.destination.address)).toEqual(['198.51.100.7', '198.51.100.8']);
  });
});

describe('scamper tracelb (MDA)', () => {
  /** A diamond: 192.0.2.1 at TTL 1 balances over .2 and .3 at TTL 2, which both lead to the target at 3. */
  const tracelb = {
    type: 'tracelb',
    version: '0.1',
    userid: 0,
    method: 'icmp-echo',
    src: '192.0.2.10',
    dst: '198.51.100.7',
    start: { sec: 1700000000, usec: 0, ftime: '2023-11-14 22:13:20' },
    probe_size: 44,
    firsthop: 1,
    attempts: 3,
    confidence: 95,
    tos: 0,
    gaplimit: 3,
    wait_timeout: 5,
    wait_probe: 25,
    probec: 9,
    probec_max: 3000,
    nodec: 4,
    linkc: 4,
    nodes: [
      {
        addr: '192.0.2.1',
        name: 'gw.example.net',
        q_ttl: 1,
        linkc: 2,
        links: [
          [
            { addr: '203.0.113.2', probes: [probe(2, 1, [4.5]), probe(2, 3, [4.7])] },
            { addr: '203.0.113.3', probes: [probe(2, 2, [5.1])] },
          ],
        ],
      },
      {
        addr: '203.0.113.2',
        q_ttl: 1,
        linkc: 1,
        links: [[{ addr: '198.51.100.7', probes: [probe(3, 1, [9.9])] }]],
      },
      {
        addr: '203.0.113.3',
        q_ttl: 1,
        linkc: 1,
        links: [[{ addr: '198.51.100.7', probes: [probe(3, 2, [10.2])] }]],
      },
    ],
  };

  function probe(ttl: number, flowid: number, rtts: number[]) {
    return {
      tx: { sec: 1700000000, usec: 0 },
      replyc: rtts.length,
      ttl,
      attempt: 0,
      flowid,
      replies: rtts.map((rtt) => ({
        rx: { sec: 1700000000, usec: 0 },
        ttl: 250,
        rtt,
        icmp_type: 11,
        icmp_code: 0,
      })),
    };
  }

  it('places every responder at the TTL of the probes it answered, the first hop before its links', () => {
    const trace = one(lines(START, tracelb, STOP));
    expect(trace.method).toBe('icmp'); // MDA varies the flow on purpose: not flow-stable
    expect(trace.flowId).toBeUndefined();
    expect(trace.meta).toMatchObject({ mda: true, confidence: 95, nodec: 4, linkc: 4 });
    expect(trace.hops.map((h) => [h.ttl, h.replies.map((r) => [r.address, r.rttMs])])).toEqual([
      [1, [['192.0.2.1', null]]],
      [
        2,
        [
          ['203.0.113.2', 4.5],
          ['203.0.113.2', 4.7],
          ['203.0.113.3', 5.1],
        ],
      ],
      [
        3,
        [
          ['198.51.100.7', 9.9],
          ['198.51.100.7', 10.2],
        ],
      ],
    ]);
    expect(trace.hops[0]?.replies[0]?.name).toBe('gw.example.net');
  });

  it('skips unresponsive "*" link ends and reads a tracelb without nodes as no hops', () => {
    const withStars = {
      ...tracelb,
      nodes: [{ addr: '192.0.2.1', q_ttl: 1, linkc: 1, links: [[{ addr: '*' }], [{ addr: '*' }]] }],
    };
    expect(one(lines(withStars)).hops.map((h) => h.ttl)).toEqual([1]);
    const { nodes: _none, ...bare } = tracelb;
    expect(one(lines(bare)).hops).toEqual([]);
  });

  it.each([
    ['udp-dport', 'udp'],
    ['udp-sport', 'udp'],
    ['tcp-sport', 'tcp'],
    ['tcp-ack-sport', 'tcp'],
  ])('tracelb method %s -> %s (never -paris)', (method, expected) => {
    expect(one(lines({ ...tracelb, method })).method).toBe(expected);
  });
});

describe('scamper files and records', () => {
  const meta = {
    UUID: 'probe_1700000000_0000000000000001',
    TracerouteCallerVersion: 'abc1234',
    CachedResult: false,
  };

  it('reads M-Lab traceroute-caller files and keeps their UUID', () => {
    const trace = one(lines(meta, START, icmpParis([hop(1, '192.0.2.1', 1)]), STOP));
    expect(trace.meta?.mlab_uuid).toBe(meta.UUID);
  });

  it('reads the single-object M-Lab form', () => {
    const text = JSON.stringify({ Metadata: meta, CycleStart: START, Trace: icmpParis([]), CycleStop: STOP });
    expect(one(text).meta?.mlab_uuid).toBe(meta.UUID);
  });

  it.each([
    ['a blank fifth line', `${lines(meta, START, icmpParis([]), STOP)}\n`, /exactly 4 lines/],
    ['a missing cycle-stop', lines(meta, START, icmpParis([])), /exactly 4 lines/],
    ['an empty UUID', lines({ ...meta, UUID: '' }, START, icmpParis([]), STOP), /UUID/],
    ['results out of order', lines(meta, icmpParis([]), START, STOP), /"type" must be "cycle-start"/],
  ])('rejects an M-Lab file with %s', (_what, text, message) => {
    expect(() => parseTraces(text, 'scamper')).toThrow(message);
  });

  it('refuses other scamper measurements and unknown record types', () => {
    const ping = { type: 'ping', version: '0.4', src: '192.0.2.10', dst: '198.51.100.7' };
    expect(() => parseTraces(lines(START, ping, STOP), 'scamper')).toThrow(
      expect.objectContaining({ code: 'TRACE_UNSUPPORTED' }),
    );
    expect(() => parseTraces(lines(START, { type: 'trace-x' }, STOP), 'scamper')).toThrow(/line 2: "type"/);
  });

  it('parses line by line: results give traces, cycle and M-Lab metadata lines give none', () => {
    expect(parseTraceLine(JSON.stringify(meta), 'scamper')).toEqual([]);
    expect(parseTraceLine(JSON.stringify(START))).toEqual([]);
    expect(parseTraceLine('   ')).toEqual([]);
    const [trace] = parseTraceLine(JSON.stringify(icmpParis([hop(1, '192.0.2.1', 1)])), 'auto', {
      lineNumber: 3,
    });
    expect(trace?.hops).toHaveLength(1);
    expect(() => parseTraceLine(JSON.stringify({ ...meta, UUID: '' }), 'scamper', { lineNumber: 1 })).toThrow(
      /line 1/,
    );
  });

  it.each([
    ['dst is not an address', { dst: 'example.com' }, /"dst" must be an IP address/],
    ['dst is missing', { dst: undefined }, /"dst"/],
    ['hops is not an array', { hops: {} }, /"hops" must be an array/],
    ['a TTL is 0', { hops: [hop(0, '192.0.2.1', 1)] }, /hops\[0\]\.probe_ttl/],
    ['a TTL is 256', { hops: [hop(256, '192.0.2.1', 1)] }, /hops\[0\]\.probe_ttl/],
    ['an rtt is negative', { hops: [hop(1, '192.0.2.1', -1)] }, /hops\[0\]\.rtt/],
    ['an rtt is a string', { hops: [hop(1, '192.0.2.1', '1' as unknown as number)] }, /hops\[0\]\.rtt/],
    ['an address is garbage', { hops: [hop(1, '192.0.2.999', 1)] }, /hops\[0\]\.addr/],
    ['an icmp type is 300', { hops: [hop(1, '192.0.2.1', 1, { icmp_type: 300 })] }, /icmp_type/],
    ['a name has a newline', { hops: [hop(1, '192.0.2.1', 1, { name: 'a\nb' })] }, /hops\[0\]\.name/],
    [
      'an MPLS label is too big',
      {
        hops: [
          hop(1, '192.0.2.1', 1, {
            icmpext: [{ mpls_labels: [{ mpls_ttl: 1, mpls_s: 1, mpls_exp: 0, mpls_label: 2 ** 20 }] }],
          }),
        ],
      },
      /mpls_labels/,
    ],
    ['start is not a time', { start: { sec: 'yesterday' } }, /"start"/],
    ['method is not text', { method: 42 }, /"method"/],
  ])('rejects a trace where %s, naming the field', (_what, change, message) => {
    const text = lines(icmpParis([hop(1, '192.0.2.1', 1)], change));
    let error: unknown;
    try {
      parseTraces(text, 'scamper');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DetourwatchError);
    expect((error as DetourwatchError).code).toBe('PARSE_FAILED');
    expect((error as Error).message).toMatch(message);
  });
});
