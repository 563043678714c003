import { describe, expect, it } from 'vitest';
import type { Trace } from '../../protocol/trace.ts';
import { parseTraces } from '../../server/parse/index.ts';

function one(text: string): Trace {
  const traces = parseTraces(text);
  expect(traces).toHaveLength(1);
  expect(parseTraces(text, 'traceroute')).toEqual(traces);
  return traces[0] as Trace;
}

/** [ttl, [address, rtt][]] per hop: the shape most assertions compare. */
const summary = (trace: Trace) => trace.hops.map((h) => [h.ttl, h.replies.map((r) => [r.address, r.rttMs])]);

describe('traceroute text', () => {
  it('reads Linux traceroute -n: header, timeouts, several responders in one hop', () => {
    const trace = one(
      [
        'traceroute to 198.51.100.7 (198.51.100.7), 30 hops max, 60 byte packets',
        ' 1  192.0.2.1  0.412 ms  0.388 ms  0.377 ms',
        ' 2  * * *',
        ' 3  203.0.113.1  7.101 ms 203.0.113.2  7.450 ms *',
        ' 4  198.51.100.7  71.250 ms  71.004 ms  70.998 ms',
        '',
      ].join('\n'),
    );
    expect(trace).toMatchObject({
      tool: 'traceroute',
      method: 'unknown',
      ipVersion: 4,
      destination: { address: '198.51.100.7' },
      meta: { hops_max: 30, packet_bytes: 60 },
    });
    expect(trace.destination.name).toBeUndefined();
    expect(summary(trace)).toEqual([
      [
        1,
        [
          ['192.0.2.1', 0.412],
          ['192.0.2.1', 0.388],
          ['192.0.2.1', 0.377],
        ],
      ],
      [
        2,
        [
          [null, null],
          [null, null],
          [null, null],
        ],
      ],
      [
        3,
        [
          ['203.0.113.1', 7.101],
          ['203.0.113.2', 7.45],
          [null, null],
        ],
      ],
      [
        4,
        [
          ['198.51.100.7', 71.25],
          ['198.51.100.7', 71.004],
          ['198.51.100.7', 70.998],
        ],
      ],
    ]);
  });

  it('reads names with addresses and Linux -A annotations after the host', () => {
    const trace = one(
      [
        'traceroute to www.example.com (198.51.100.7), 30 hops max, 60 byte packets',
        ' 1  gw.example.net (192.0.2.1) [AS64500]  0.5 ms  0.4 ms 192.0.2.2 (192.0.2.2) [*]  0.6 ms',
        ' 2  203.0.113.1 (203.0.113.1) [AS64501]  7.1 ms * 7.3 ms',
      ].join('\n'),
    );
    expect(trace.destination).toEqual({ address: '198.51.100.7', name: 'www.example.com' });
    expect(trace.hops[0]?.replies).toEqual([
      { address: '192.0.2.1', rttMs: 0.5, name: 'gw.example.net', asn: 64500 },
      { address: '192.0.2.1', rttMs: 0.4, name: 'gw.example.net', asn: 64500 },
      { address: '192.0.2.2', rttMs: 0.6 },
    ]);
    expect(trace.hops[1]?.replies.map((r) => [r.address, r.asn, r.name])).toEqual([
      ['203.0.113.1', 64501, undefined],
      [null, undefined, undefined],
      ['203.0.113.1', 64501, undefined],
    ]);
  });

  it('reads BSD/macOS: AS before the host, further responders on indented lines, no leading space', () => {
    const trace = one(
      [
        'traceroute to 198.51.100.7 (198.51.100.7), 64 hops max, 52 byte packets',
        '1  [AS64500] gw (192.0.2.1)  1.000 ms  0.739 ms  0.702 ms',
        '2  [AS64501] 203.0.113.1 (203.0.113.1)  42.790 ms  46.352 ms',
        '   [AS64502] 203.0.113.2 (203.0.113.2)  41.479 ms',
      ].join('\n'),
    );
    expect(trace.hops.map((h) => h.replies.map((r) => [r.address, r.asn, r.rttMs]))).toEqual([
      [
        ['192.0.2.1', 64500, 1],
        ['192.0.2.1', 64500, 0.739],
        ['192.0.2.1', 64500, 0.702],
      ],
      [
        ['203.0.113.1', 64501, 42.79],
        ['203.0.113.1', 64501, 46.352],
        ['203.0.113.2', 64502, 41.479],
      ],
    ]);
    expect(trace.hops[0]?.replies[0]?.name).toBe('gw');
  });

  it.each([
    ['!H', 4, 'host-unreachable'],
    ['!N', 4, 'network-unreachable'],
    ['!P', 4, 'protocol-unreachable'],
    ['!S', 4, 'source-route-failed'],
    ['!F-1480', 4, 'fragmentation-needed'],
    ['!X', 4, 'admin-prohibited'],
    ['!V', 4, 'other'],
    ['!C', 4, 'other'],
    ['!<10>', 4, 'admin-prohibited'],
    ['!<500>', 4, 'other'],
    ['!<1>', 6, 'admin-prohibited'],
    ['!<3>', 6, 'host-unreachable'],
  ])('flag %s on IPv%i -> %s', (raw, version, flag) => {
    const [dst, router] = version === 4 ? ['198.51.100.7', '192.0.2.1'] : ['2001:db8:1::7', '2001:db8::1'];
    const trace = one(
      [
        `traceroute to ${dst} (${dst}), 30 hops max, 60 byte packets`,
        ` 1  ${router}  0.5 ms ${raw}  0.6 ms  0.7 ms ${raw}`,
      ].join('\n'),
    );
    expect(trace.hops[0]?.replies.map((r) => [r.flag, r.rawFlag])).toEqual([
      [flag, raw],
      [undefined, undefined],
      [flag, raw],
    ]);
  });

  it('reads BSD traceroute6 headers with a source, and Linux -e MPLS extensions', () => {
    const trace = one(
      [
        'traceroute6: Warning: www.example.com has multiple addresses; using 2001:db8:1::7',
        'traceroute6 to www.example.com (2001:db8:1::7) from 2001:db8::10, 64 hops max, 20 byte packets',
        ' 1  2001:db8::1 <MPLS:L=24001,E=0,S=0,T=1/L=16,E=5,S=1,T=1>  3.1 ms  3.2 ms',
        ' 2  2001:db8:1::7  9.9 ms',
      ].join('\n'),
    );
    expect(trace.ipVersion).toBe(6);
    expect(trace.source.address).toBe('2001:db8::10');
    expect(trace.hops[0]?.replies[1]?.mpls).toEqual([
      { label: 24001, tc: 0, s: false, ttl: 1 },
      { label: 16, tc: 5, s: true, ttl: 1 },
    ]);
  });

  it('reads tracepath: names or addresses, no reply, late answers for an earlier TTL, reached', () => {
    const trace = one(
      [
        ' 1?: [LOCALHOST]                      pmtu 1500',
        ' 1:  192.0.2.1                          0.512ms',
        ' 1:  192.0.2.1                          0.488ms',
        ' 2:  core.example.net                   7.010ms asymm  3',
        ' 3:  no reply',
        ' 2:  core.example.net                   9.990ms',
        ' 4:  198.51.100.7                      71.200ms reached',
        '     Resume: pmtu 1500 hops 4 back 4',
      ].join('\n'),
    );
    expect(trace).toMatchObject({
      tool: 'traceroute',
      method: 'udp',
      meta: { variant: 'tracepath', pmtu: 1500 },
    });
    expect(trace.destination.address).toBe('198.51.100.7');
    expect(
      trace.hops.map((h) => [h.ttl, h.replies.map((r) => [r.address ?? r.name ?? null, r.rttMs])]),
    ).toEqual([
      [
        1,
        [
          ['192.0.2.1', 0.512],
          ['192.0.2.1', 0.488],
        ],
      ],
      [
        2,
        [
          ['core.example.net', 7.01],
          ['core.example.net', 9.99],
        ],
      ],
      [3, [[null, null]]],
      [4, [['198.51.100.7', 71.2]]],
    ]);
    expect(trace.hops[1]?.replies[0]?.address).toBeNull();
  });

  it('reads scamper -O text and several traces in one file', () => {
    const traces = parseTraces(
      [
        'traceroute from 192.0.2.10 to 198.51.100.7',
        ' 1  192.0.2.1  0.046 ms',
        'traceroute to 198.51.100.8 (198.51.100.8), 30 hops max, 60 byte packets',
        ' 1  192.0.2.1  0.4 ms',
      ].join('\n'),
    );
    expect(traces.map((t) => [t.tool, t.source.address, t.destination.address, t.hops.length])).toEqual([
      ['scamper', '192.0.2.10', '198.51.100.7', 1],
      ['traceroute', null, '198.51.100.8', 1],
    ]);
  });

  it('keeps a reverse name wrapped in angle brackets as a name, with its address', () => {
    const trace = one(' 1  <img> (192.0.2.193)  1.2 ms  1.1 ms');
    expect(trace.hops[0]?.replies.map((r) => [r.address, r.name])).toEqual([
      ['192.0.2.193', '<img>'],
      ['192.0.2.193', '<img>'],
    ]);
  });

  it('reads output without a header (destination unknown)', () => {
    const trace = one(' 1  192.0.2.1  0.4 ms\n 2  * *');
    expect(trace.destination.address).toBeNull();
    expect(summary(trace)).toEqual([
      [1, [['192.0.2.1', 0.4]]],
      [
        2,
        [
          [null, null],
          [null, null],
        ],
      ],
    ]);
  });

  it.each([
    ['an RTT before any address', ' 1  0.4 ms', /round-trip time 0\.4 before any address/],
    ['hop number 300', ' 300  192.0.2.1  0.4 ms', /outside 1-255/],
    [
      'hop number 300 after good hops',
      ' 1  192.0.2.1  0.4 ms\n 300  192.0.2.1  0.4 ms',
      /line 2: hop number 300/,
    ],
    ['a tracepath line with junk', ' 1:  192.0.2.1  fast', /unexpected "fast"/],
    ['only a diagnostic', 'traceroute: unknown host nowhere.example', /unknown host/],
    ['a line that is not traceroute, and nothing else', 'hello world', /line 1: not traceroute output/],
  ])('rejects %s', (_what, text, message) => {
    expect(() => parseTraces(text, 'traceroute')).toThrow(message);
  });

  // Pasted text is read tolerantly (issue 13): what a line gave before it broke is kept, the line is named.
  it.each([
    [
      'a host without an RTT',
      ' 1  192.0.2.1  *',
      [[null, null]],
      /line 1: hop 1: host 192\.0\.2\.1 is not followed by a round-trip time \(the line is read up to there\)/,
    ],
    ['a flag without a reply', ' 1  * !H', [[null, null]], /line 1: hop 1: "!H" follows no reply/],
    [
      'a line that is not traceroute',
      ' 1  192.0.2.1  0.4 ms\nhello world',
      [['192.0.2.1', 0.4]],
      /^line 2: not traceroute output: "hello world" \(line skipped\)$/,
    ],
  ])('keeps what it can of %s, with a warning', (_what, text, hop1, warning) => {
    const trace = one(text);
    expect(summary(trace)).toEqual([[1, hop1]]);
    expect(trace.warnings).toEqual([expect.stringMatching(warning)]);
  });
});
