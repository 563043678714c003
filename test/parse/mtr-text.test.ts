/**
 * mtr's text outputs, produced by the real mtr 0.95 in the namespace lab (test/fixtures/paste/mtr-*): report
 * (-r, -rw, -rwb, -n, -z), a copy of its screen, --raw, --csv and --xml. Expectations are read off each file by
 * hand: the lab path is 192.0.2.2, 198.51.100.2, 203.0.113.2, then the target 192.0.2.10.
 */
import { describe, expect, it } from 'vitest';
import type { Trace } from '../../protocol/trace.ts';
import { parseTraces, type TraceFormat } from '../../server/parse/index.ts';
import { firstHops, pasted, replies, warningsOf } from './paste-helpers.ts';

const PATH = ['192.0.2.2', '198.51.100.2', '203.0.113.2', '192.0.2.10'];
const NAMES = ['r1.lab.example', 'r2.lab.example', 'r3.lab.example', 'target.lab.example'];
const PATH6 = ['2001:db8:1::2', '2001:db8:2::2', '2001:db8:3::2', '2001:db8:4::2'];

function only(file: string, format: TraceFormat): Trace {
  const text = pasted(file);
  const traces = parseTraces(text, format);
  expect(traces).toHaveLength(1);
  // Recognised without being told.
  expect(parseTraces(text)).toEqual(traces);
  return traces[0] as Trace;
}

describe('mtr report (-r) and its screen', () => {
  it.each([
    ['mtr-report/r-n-c3.txt', PATH],
    ['mtr-report/rw-n-c3.txt', PATH],
    ['mtr-report/rwz-n-c3.txt', PATH],
    ['mtr-curses/screen-n-100x20.txt', PATH],
  ])('%s: one reply per hop from the address in the row, at its Best', (file, path) => {
    const trace = only(file, 'mtr-report');
    expect(trace.tool).toBe('mtr');
    expect(trace.hops.map((h) => h.replies.map((r) => r.address))).toEqual(path.map((a) => [a]));
    // Every row of these files prints Best 0.1.
    for (const hop of trace.hops) expect(hop.replies[0]?.rttMs).toBe(0.1);
    expect(trace.destination.address).toBe('192.0.2.10');
    expect(warningsOf(trace).some((w) => w.includes("mtr's Best"))).toBe(true);
  });

  it('keeps every figure of a row in the hop statistics (rw-n-c3: Snt 3, Loss 0.0%)', () => {
    const trace = only('mtr-report/rw-n-c3.txt', 'mtr-report');
    expect(trace.startedAt).toBe('2026-12-04T19:01:51.000Z');
    expect(trace.source.name).toBe('vm');
    expect(trace.hops[0]?.stats).toEqual({
      sent: 3,
      lossPct: 0,
      lastMs: 0.1,
      avgMs: 0.1,
      bestMs: 0.1,
      worstMs: 0.1,
      stdevMs: 0,
    });
    expect(trace.probing?.attemptsPerHop).toBe(3);
    // The report does not name the target: the last row's answer is taken, and that is said.
    expect(warningsOf(trace).some((w) => /does not name the traced host.*192\.0\.2\.10/.test(w))).toBe(true);
  });

  it('reads -z rows (AS column) and -b hosts (name and address), IPv6', () => {
    const trace = only('mtr-report/rwbz-c3-ipv6.txt', 'mtr-report');
    expect(trace.ipVersion).toBe(6);
    expect(trace.hops.map((h) => [h.replies[0]?.address, h.replies[0]?.name])).toEqual(
      PATH6.map((a, i) => [a, NAMES[i]]),
    );
    // AS??? is mtr not knowing: no ASN is recorded.
    expect(trace.hops.every((h) => h.replies[0]?.asn === undefined)).toBe(true);
    // Hop 3 of this file: Last 0.1, Avg 0.2, Best 0.1, Wrst 0.2.
    expect(trace.hops[2]?.stats).toMatchObject({ lastMs: 0.1, avgMs: 0.2, bestMs: 0.1, worstMs: 0.2 });
    expect(trace.destination).toEqual({ address: '2001:db8:4::2', name: 'target.lab.example' });
  });

  it('reads a names-only report (no -n) as names without addresses, and says they cannot be located', () => {
    const trace = only('mtr-report/r-c3.txt', 'mtr-report');
    expect(trace.hops.map((h) => [h.replies[0]?.address, h.replies[0]?.name])).toEqual(
      NAMES.map((n) => [null, n]),
    );
    // Hop 1 of this file: Wrst 0.2, StDev 0.1.
    expect(trace.hops[0]?.stats).toMatchObject({ worstMs: 0.2, stdevMs: 0.1 });
    expect(warningsOf(trace).some((w) => w.includes('cannot be located'))).toBe(true);
  });

  it('reads an unanswered TTL (???, 100.0) as a timeout with no RTT aggregates', () => {
    const trace = only('mtr-report/rwn-c10-r2-ratelimited.txt', 'mtr-report');
    expect(replies(trace)).toEqual([
      [1, [['192.0.2.2', 0.1]]],
      [2, [[null, null]]],
      [3, [['203.0.113.2', 0.1]]],
      [4, [['192.0.2.10', 0.1]]],
    ]);
    expect(trace.hops[1]?.stats).toEqual({
      sent: 10,
      lossPct: 100,
      lastMs: null,
      avgMs: null,
      bestMs: null,
      worstMs: null,
      stdevMs: null,
    });
    expect(trace.probing?.attemptsPerHop).toBe(10);
  });

  it("reads the screen's header: source, target and time", () => {
    const trace = only('mtr-curses/screen-100x20.txt', 'mtr-report');
    expect(trace.meta).toMatchObject({ variant: 'screen', mtr_version: '0.95' });
    expect(trace.source).toEqual({ address: '192.0.2.1', name: 'vm' });
    expect(trace.destination.address).toBe('192.0.2.10');
    expect(trace.startedAt).toBe('2026-12-04T19:02:56.000Z');
    // Snt of this screen: 6 at hop 1, 5 below.
    expect(trace.hops.map((h) => h.stats?.sent)).toEqual([6, 5, 5, 5]);
    expect(trace.hops.map((h) => h.replies[0]?.name)).toEqual(NAMES);
    // The screen named the target: nothing had to be taken from the last row.
    expect(warningsOf(trace).some((w) => w.includes('does not name'))).toBe(false);
  });

  it('reads further responders of a TTL and mtr -e MPLS lines', () => {
    const text = [
      'Start: 2026-12-04T18:30:51+0000',
      'HOST: vm                    Loss%   Snt   Last   Avg  Best  Wrst StDev',
      '  1.|-- 192.0.2.2           0.0%    10    0.7   0.7   0.5   0.9   0.1',
      '  2.|-- 198.51.100.2        0.0%    10    1.2   1.2   0.7   1.6   0.3',
      '    |  `|-- 198.51.100.6',
      '       [MPLS: Lbl 21 TC 0 S u TTL 1]',
      '       [MPLS: Lbl 80 TC 0 S u TTL 1]',
      '  3.|-- 192.0.2.10          0.0%    10    1.4   3.8   1.4   5.2   1.0',
    ].join('\n');
    const [trace] = parseTraces(text);
    expect(replies(trace as Trace)).toEqual([
      [1, [['192.0.2.2', 0.5]]],
      [
        2,
        [
          ['198.51.100.2', 0.7],
          ['198.51.100.6', null],
        ],
      ],
      [3, [['192.0.2.10', 1.4]]],
    ]);
    expect(trace?.hops[1]?.replies[1]?.mpls).toEqual([
      { label: 21, tc: 0, s: false, ttl: 1 },
      { label: 80, tc: 0, s: true, ttl: 1 },
    ]);
  });
});

describe('mtr --raw', () => {
  it('gives one reply per probe, RTTs from microseconds, and drops the repeats past the target', () => {
    const trace = only('mtr-raw/raw-n-c2.txt', 'mtr-raw');
    // p lines of the file: TTL 1 83 and 76 us, TTL 2 388 and 85, TTL 3 101 and 81, TTL 4 93 and 75.
    expect(replies(trace)).toEqual([
      [
        1,
        [
          ['192.0.2.2', 0.083],
          ['192.0.2.2', 0.076],
        ],
      ],
      [
        2,
        [
          ['198.51.100.2', 0.388],
          ['198.51.100.2', 0.085],
        ],
      ],
      [
        3,
        [
          ['203.0.113.2', 0.101],
          ['203.0.113.2', 0.081],
        ],
      ],
      [
        4,
        [
          ['192.0.2.10', 0.093],
          ['192.0.2.10', 0.075],
        ],
      ],
    ]);
    expect(trace.destination.address).toBe('192.0.2.10');
    expect(warningsOf(trace).some((w) => w.startsWith('TTL 5 answered by 192.0.2.10 again'))).toBe(true);
    expect(trace.hops.some((h) => h.stats !== undefined)).toBe(false);
  });

  it('names replies from its d lines', () => {
    const trace = only('mtr-raw/raw-c2.txt', 'mtr-raw');
    expect(trace.hops.map((h) => h.replies.map((r) => r.name))).toEqual(NAMES.map((n) => [n, n]));
  });

  it('turns probes nobody answered (x without p) into timeouts', () => {
    const trace = only('mtr-raw/raw-n-c5-r2-ratelimited.txt', 'mtr-raw');
    expect(firstHops(trace, 2)).toEqual([
      [
        1,
        [
          ['192.0.2.2', 0.083],
          ['192.0.2.2', 0.065],
          ['192.0.2.2', 0.064],
          ['192.0.2.2', 0.07],
          ['192.0.2.2', 0.063],
        ],
      ],
      [
        2,
        [
          [null, null],
          [null, null],
          [null, null],
          [null, null],
          [null, null],
        ],
      ],
    ]);
    expect(trace.probing?.attemptsPerHop).toBe(5);
  });
});

describe('mtr --csv and --xml', () => {
  it('csv: the Host column is the target, each row a hop at its Best (two decimals)', () => {
    const trace = only('mtr-csv/csv-n-c3.txt', 'mtr-csv');
    expect(trace.destination.address).toBe('192.0.2.10');
    expect(trace.startedAt).toBe(new Date(1796410964 * 1000).toISOString());
    expect(replies(trace)).toEqual([
      [1, [['192.0.2.2', 0.07]]],
      [2, [['198.51.100.2', 0.08]]],
      [3, [['203.0.113.2', 0.08]]],
      [4, [['192.0.2.10', 0.08]]],
    ]);
    expect(trace.hops[2]?.stats).toMatchObject({ avgMs: 0.1, worstMs: 0.12, stdevMs: 0.02 });
  });

  it('xml: SRC, DST and TESTS from <MTR>, one hop per <HUB>', () => {
    const trace = only('mtr-xml/xml-n-c3.xml', 'mtr-xml');
    expect(trace.source.name).toBe('vm');
    expect(trace.destination.address).toBe('192.0.2.10');
    expect(trace.probing?.attemptsPerHop).toBe(3);
    expect(trace.hops.map((h) => h.replies[0]?.address)).toEqual(PATH);
  });

  it('xml: a document cut off inside a <HUB> keeps the hops before it and says so', () => {
    const text = pasted('mtr-xml/xml-n-c3.xml');
    const cut = text.slice(0, text.indexOf('<HUB COUNT="3"') + 30);
    const [trace] = parseTraces(cut, 'mtr-xml');
    expect(trace?.hops.map((h) => h.ttl)).toEqual([1, 2]);
    expect(warningsOf(trace).some((w) => w.includes('cut off'))).toBe(true);
  });
});

describe('summary figures printed as 0', () => {
  it('reads a 0.0 Best as 0.05 ms, the largest value it stands for, and says so', () => {
    const text = [
      'HOST: vm           Loss%   Snt   Last   Avg  Best  Wrst StDev',
      '  1.|-- 192.0.2.2     0.0%     3    0.0   0.0   0.0   0.1   0.0',
    ].join('\n');
    const [trace] = parseTraces(text, 'mtr-report');
    expect(trace?.hops[0]?.replies[0]?.rttMs).toBe(0.05);
    expect(trace?.hops[0]?.stats).toMatchObject({ lastMs: 0.05, bestMs: 0.05, worstMs: 0.1, stdevMs: 0 });
    expect(warningsOf(trace).some((w) => w.includes('read as 0.05 ms'))).toBe(true);
  });
});
