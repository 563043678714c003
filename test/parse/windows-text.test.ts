/**
 * Windows `tracert` and the WinMTR text export. Two tracert samples are real output published by Microsoft
 * (CC-BY-4.0, test/fixtures/paste/tracert/SOURCE.md); their expectations are read off the text by the small
 * independent reader below, not by the parser. IPv6, German and WinMTR samples are hand-written (no
 * licence-compatible published one was found; SOURCE.md lists where we looked); expectations are read off them.
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

interface SampleHop {
  ttl: number;
  /** [address, rtt] per probe; `<1 ms` counts as 1 ms, `*` as [null, null]. */
  probes: [string | null, number | null][];
  name: string | null;
}

/**
 * An independent reading of a tracert sample: hop lines are the number, three time fields and the host
 * (`name [address]`, an address, or the timeout text). Written from tracert's layout, not from the parser.
 */
function readSample(text: string): { target: { address: string; name?: string }; hops: SampleHop[] } {
  const lines = text.split(/\r?\n/);
  const header = lines.map((l) => /^Tracing route to (\S+)(?: \[(\S+)\])?/.exec(l)).find((m) => m !== null);
  if (!header) throw new Error('no header');
  const target = header[2]
    ? { address: header[2], name: header[1] as string }
    : { address: header[1] as string };
  const hops: SampleHop[] = [];
  for (const line of lines) {
    const m = /^\s*(\d+)((?:\s+(?:<?\d+ ms|\*)){3})\s+(.*?)\s*$/.exec(line);
    if (!m) continue;
    const host = m[3] as string;
    const bracketed = /^(\S+) \[(\S+)\]$/.exec(host);
    const address = bracketed ? (bracketed[2] as string) : /^[\d.:a-f]+$/.test(host) ? host : null;
    const times = (m[2] as string).trim().split(/\s+(?=<?\d|\*)/);
    hops.push({
      ttl: Number(m[1]),
      name: bracketed ? (bracketed[1] as string) : null,
      probes: times.map((t) => (t === '*' ? [null, null] : [address, Number(t.replace(/[<ms\s]/g, ''))])),
    });
  }
  return { target, hops };
}

describe('tracert', () => {
  it.each([
    [
      'tracert ADDRESS: addresses only, "<1 ms", "Request timed out."',
      'tracert/azure-docs-expressroute-timeout.txt',
    ],
    [
      'tracert NAME: the two-line header, names with addresses, a star among times',
      'tracert/azure-docs-route-table-names.txt',
    ],
  ])('published sample, %s', (_what, file) => {
    const text = pasted(file);
    const sample = readSample(text);
    expect(sample.hops.length).toBeGreaterThan(1);
    const trace = only(file, 'tracert');
    expect(trace).toMatchObject({ tool: 'traceroute', method: 'icmp', meta: { variant: 'windows-tracert' } });
    expect(trace.destination).toEqual(sample.target);
    expect(trace.probing).toEqual({ attemptsPerHop: 3, maxTtl: 30 });
    expect(replies(trace)).toEqual(sample.hops.map((h) => [h.ttl, h.probes]));
    expect(trace.hops.map((h) => h.replies.find((r) => r.address !== undefined)?.name ?? null)).toEqual(
      sample.hops.map((h) => h.name),
    );
    // Every "<1 ms" is read as 1 ms, and says so.
    if (text.includes('<1 ms')) expect(warningsOf(trace).some((w) => w.includes('"<1 ms"'))).toBe(true);
  });

  it('published sample: the prompt line before the output is skipped with a warning naming it', () => {
    const trace = only('tracert/azure-docs-expressroute-timeout.txt', 'tracert');
    expect(warningsOf(trace)[0]).toMatch(
      /^line 1: skipped "C:\\\\Users\\\\PathLabUser>tracert 10\.17\.11\.132"/,
    );
  });

  it('published sample with CRLF line ends, as Windows writes them: the same trace', () => {
    const file = 'tracert/azure-docs-route-table-names.txt';
    const crlf = parseTraces(pasted(file).replace(/\n/g, '\r\n'), 'tracert');
    expect(crlf).toEqual(parseTraces(pasted(file), 'tracert'));
  });

  it('hand-written sample: tracert -6 -d, IPv6', () => {
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

  it('hand-written sample, German Windows: its header, its timeout text and its footer', () => {
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
  it('hand-written sample: one row per TTL from 1, Best as the RTT (0 read as 1 ms), "No response from host" as a timeout', () => {
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
