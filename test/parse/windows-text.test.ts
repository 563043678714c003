/**
 * Windows `tracert` and the WinMTR text export. No licence-compatible published samples were found, so the
 * fixtures are hand-written (test/fixtures/paste/{tracert,winmtr}/SOURCE.md); expectations are read off them.
 */
import { describe, expect, it } from 'vitest';
import type { Trace } from '../../protocol/trace.ts';
import { parseTraces, type TraceFormat } from '../../server/parse/index.ts';
import { pasted, replies, warningsOf } from './paste-helpers.ts';

function only(file: string, format: TraceFormat): Trace {
  const text = pasted(file);
  const traces = parseTraces(text, format);
  expect(traces).toHaveLength(1);
  expect(parseTraces(text)).toEqual(traces);
  return traces[0] as Trace;
}

const stars: [null, null][] = [
  [null, null],
  [null, null],
  [null, null],
];

describe('tracert', () => {
  it('names with addresses, "<1 ms" as 1 ms, a star among times, "Request timed out.", CRLF', () => {
    const trace = only('tracert/handwritten-names-crlf.txt', 'tracert');
    expect(trace).toMatchObject({ tool: 'traceroute', method: 'icmp', meta: { variant: 'windows-tracert' } });
    expect(trace.destination).toEqual({ address: '203.0.113.80', name: 'www.example.net' });
    expect(trace.probing).toEqual({ attemptsPerHop: 3, maxTtl: 30 });
    expect(replies(trace)).toEqual([
      [
        1,
        [
          ['192.168.1.1', 1],
          ['192.168.1.1', 1],
          ['192.168.1.1', 1],
        ],
      ],
      [
        2,
        [
          ['198.51.100.1', 8],
          ['198.51.100.1', 7],
          ['198.51.100.1', 9],
        ],
      ],
      [
        3,
        [
          ['198.51.100.77', 11],
          ['198.51.100.77', 10],
          [null, null],
        ],
      ],
      [4, stars],
      [
        5,
        [
          ['203.0.113.80', 14],
          ['203.0.113.80', 13],
          ['203.0.113.80', 13],
        ],
      ],
    ]);
    expect(trace.hops[0]?.replies[0]?.name).toBe('router.home.example');
    const warnings = warningsOf(trace);
    expect(warnings[0]).toMatch(/^line 1: skipped "C:\\\\Users\\\\lab>tracert www\.example\.net"/);
    expect(warnings.some((w) => w.includes('"<1 ms"'))).toBe(true);
  });

  it('-d with an address: the one-line header', () => {
    const trace = only('tracert/handwritten-d.txt', 'tracert');
    expect(trace.destination).toEqual({ address: '203.0.113.80' });
    expect(replies(trace).map(([ttl, r]) => [ttl, r[0]?.[0]])).toEqual([
      [1, '192.168.1.1'],
      [2, '198.51.100.1'],
      [3, null],
      [4, '203.0.113.80'],
    ]);
    expect(trace.hops[3]?.replies.map((r) => r.rttMs)).toEqual([14, 13, 12]);
  });

  it('IPv6', () => {
    const trace = only('tracert/handwritten-d-ipv6.txt', 'tracert');
    expect(trace.ipVersion).toBe(6);
    expect(replies(trace)[2]).toEqual([
      3,
      [
        ['2001:db8:80::1', 13],
        [null, null],
        ['2001:db8:80::1', 13],
      ],
    ]);
  });

  it('German Windows: its header, its timeout text and its footer', () => {
    const trace = only('tracert/handwritten-german.txt', 'tracert');
    expect(trace.destination).toEqual({ address: '203.0.113.80', name: 'www.example.net' });
    expect(trace.probing?.maxTtl).toBe(30);
    expect(replies(trace)[2]).toEqual([3, stars]);
    expect(replies(trace)[3]?.[1][0]).toEqual(['203.0.113.80', 15]);
    // Only the prompt line and the "<1 ms" reading are worth a warning: every other line was read.
    expect(warningsOf(trace)).toHaveLength(2);
  });

  it('a header in a language it does not know: the target from its brackets, and a warning naming the line', () => {
    const text = [
      "Détermination de l'itinéraire vers www.example.net [203.0.113.80]",
      'avec un maximum de 30 sauts :',
      '',
      '  1    <1 ms    <1 ms    <1 ms  192.168.1.1',
      "  2     *        *        *     Délai d'attente de la demande dépassé.",
      '  3    14 ms    13 ms    13 ms  www.example.net [203.0.113.80]',
      '',
      'Itinéraire déterminé.',
    ].join('\r\n');
    const [trace] = parseTraces(text);
    expect(trace?.meta?.variant).toBe('windows-tracert');
    expect(trace?.destination).toEqual({ address: '203.0.113.80', name: 'www.example.net' });
    expect(replies(trace as Trace).map(([ttl, r]) => [ttl, r.length, r[0]?.[0]])).toEqual([
      [1, 3, '192.168.1.1'],
      [2, 3, null],
      [3, 3, '203.0.113.80'],
    ]);
    const warnings = warningsOf(trace);
    expect(warnings.some((w) => w.startsWith('line 1:') && w.includes('not an English tracert header'))).toBe(
      true,
    );
    expect(warnings.some((w) => w.startsWith('line 2:'))).toBe(true);
    expect(warnings.some((w) => w.startsWith('line 8:'))).toBe(true);
  });

  it('"reports: Destination host unreachable." is a flagged reply', () => {
    const text = [
      'Tracing route to 203.0.113.80 over a maximum of 30 hops',
      '',
      '  1     1 ms     1 ms     1 ms  192.168.1.1',
      '  2  192.168.1.1  reports: Destination host unreachable.',
      '',
      'Trace complete.',
    ].join('\n');
    const [trace] = parseTraces(text);
    expect(trace?.hops[1]?.replies).toEqual([
      {
        address: '192.168.1.1',
        rttMs: null,
        flag: 'host-unreachable',
        rawFlag: 'Destination host unreachable.',
      },
    ]);
  });
});

describe('WinMTR export', () => {
  it('one row per TTL from 1, Best as the RTT (0 read as 1 ms), "No response from host" as a timeout', () => {
    const trace = only('winmtr/handwritten-export.txt', 'winmtr');
    expect(trace.meta?.variant).toBe('winmtr');
    expect(replies(trace)).toEqual([
      [1, [['192.168.1.1', 1]]],
      [2, [['198.51.100.1', 7]]],
      [3, [[null, null]]],
      [4, [['core1.isp.example', 10]]],
      [5, [['203.0.113.80', 13]]],
    ]);
    expect(trace.hops[1]?.stats).toEqual({
      sent: 10,
      lossPct: 0,
      lastMs: 8,
      avgMs: 8,
      bestMs: 7,
      worstMs: 11,
      stdevMs: null,
    });
    expect(trace.hops[3]?.stats).toMatchObject({ sent: 10, lossPct: 10 });
    expect(trace.destination.address).toBe('203.0.113.80');
    const warnings = warningsOf(trace);
    for (const words of ["mtr's Best", 'read as 1 ms', 'cannot be located', 'does not name the traced host'])
      expect(
        warnings.some((w) => w.includes(words)),
        words,
      ).toBe(true);
  });
});
