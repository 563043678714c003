/**
 * Issue 13, item 3: text as people paste it. For every text format, a real (or, where none could be had,
 * hand-written: Junos MPLS, WinMTR) sample is wrapped the ways a paste goes wrong: a shell prompt and command line around it, CRLF,
 * indentation (a first line starting with a space), a `^C` after Ctrl-C, a last line cut off by the copy. Every
 * hop that could be read is kept, and every line that was not read is a warning naming the line.
 */
import { describe, expect, it } from 'vitest';
import type { Trace } from '../../protocol/trace.ts';
import { parseTraces, type TextFormat } from '../../server/parse/index.ts';
import { pasted, warningsOf } from './paste-helpers.ts';

const SAMPLES: [TextFormat, string][] = [
  ['traceroute', 'nxos/napalm-nxos-ssh-alternate1-mpls.txt'],
  ['junos', 'junos/handwritten-mpls-labels.txt'],
  ['mtr-report', 'mtr-report/rwn-c10-r2-ratelimited.txt'],
  ['mtr-report', 'mtr-curses/screen-n-100x20.txt'],
  ['mtr-raw', 'mtr-raw/raw-n-c2.txt'],
  ['mtr-csv', 'mtr-csv/csv-n-c3.txt'],
  ['tracert', 'tracert/azure-docs-expressroute-timeout.txt'],
  ['winmtr', 'winmtr/handwritten-export.txt'],
  ['cisco', 'cisco/ios-ntc-traceroute-5-mpls.txt'],
];

/** Without the lines a sample itself brings that are not output (prompts): the output as the tool printed it. */
function lines(file: string): string[] {
  return pasted(file)
    .replace(/\r\n/g, '\n')
    .split('\n')
    .filter((l) => !/^(?:C:\\\S*>|user@mx1>)/.test(l))
    .filter((l, i, all) => l.trim() !== '' || i < all.length - 1);
}

function one(text: string, format: TextFormat): Trace {
  const traces = parseTraces(text, format);
  expect(traces).toHaveLength(1);
  // Recognised without being told, prompts and all.
  expect(parseTraces(text).map((t) => t.hops)).toEqual(traces.map((t) => t.hops));
  return traces[0] as Trace;
}

describe.each(SAMPLES)('%s (%s), pasted', (format, file) => {
  const clean = lines(file);
  const base = one(clean.join('\n'), format);
  // The line that completes the last hop: a copy cut off inside it loses what follows too.
  const hopsIn = (text: string) => {
    try {
      return JSON.stringify(parseTraces(text, format)[0]?.hops);
    } catch {
      return null;
    }
  };
  const whole = JSON.stringify(base.hops);
  const lastHopLine = clean.findIndex((_, i) => hopsIn(clean.slice(0, i + 1).join('\n')) === whole);

  it('with a shell prompt and the command before it, and a prompt after it: the same hops, each extra line warned', () => {
    const text = ['user@box:~$ traceroute -n 192.0.2.10', ...clean, 'user@box:~$ '].join('\n');
    const trace = one(text, format);
    expect(trace.hops).toEqual(base.hops);
    const warnings = warningsOf(trace);
    expect(warnings.some((w) => w.startsWith('line 1: skipped "user@box:~$ traceroute'))).toBe(true);
    expect(warnings.some((w) => w.startsWith(`line ${clean.length + 2}: skipped "user@box:~$"`))).toBe(true);
  });

  it('with CRLF line ends: the same trace', () => {
    expect(one(clean.join('\r\n'), format)).toEqual(base);
  });

  it('indented, the first line starting with a space: the same hops', () => {
    const trace = one(clean.map((l) => (l === '' ? l : `  ${l}`)).join('\n'), format);
    expect(trace.hops).toEqual(base.hops);
  });

  it('ending in ^C: the same hops, and a warning that the trace was interrupted', () => {
    for (const text of [`${clean.join('\n')}\n^C`, `${clean.join('\n')}^C`]) {
      const trace = one(text, format);
      expect(trace.hops).toEqual(base.hops);
      expect(warningsOf(trace).some((w) => w.includes('interrupted (^C)'))).toBe(true);
    }
  });

  it('with its last line cut off by the copy: every earlier hop kept, the line named in a warning', () => {
    const line = clean[lastHopLine] as string;
    const cut = [...clean.slice(0, lastHopLine), line.slice(0, Math.max(3, line.length - 7))];
    const trace = one(cut.join('\n'), format);
    const kept = base.hops.slice(0, -1);
    expect(trace.hops.slice(0, kept.length)).toEqual(kept);
    expect(trace.hops.length).toBeLessThanOrEqual(base.hops.length);
    expect(warningsOf(trace).some((w) => w.startsWith(`line ${lastHopLine + 1}:`))).toBe(true);
  });
});

describe('classic traceroute text', () => {
  const header = 'traceroute to 198.51.100.7 (198.51.100.7), 30 hops max, 60 byte packets';
  const hops = [
    ' 1  192.0.2.1  0.512 ms  0.430 ms  0.401 ms',
    ' 2  198.51.100.7  9.102 ms  9.010 ms  8.998 ms',
  ];

  it('a header that starts with a space is still the header', () => {
    const [trace] = parseTraces([` ${header}`, ...hops].join('\n'));
    expect(trace?.destination.address).toBe('198.51.100.7');
    expect(trace?.probing?.maxTtl).toBe(30);
    expect(trace?.hops.map((h) => h.ttl)).toEqual([1, 2]);
    expect(trace?.warnings).toBeUndefined();
  });

  it('a line cut inside its replies keeps the replies before the cut', () => {
    const [trace] = parseTraces([header, hops[0], ' 2  198.51.100.7  9.102 ms  9.0'].join('\n'));
    expect(trace?.hops[1]?.replies).toEqual([{ address: '198.51.100.7', rttMs: 9.102 }]);
    expect(warningsOf(trace)).toEqual([
      expect.stringMatching(/^line 3: .*\(the line is read up to there\)$/),
    ]);
  });

  it('ping output and prose around it are skipped, each named', () => {
    const text = [
      'PING 198.51.100.7 (198.51.100.7) 56(84) bytes of data.',
      header,
      ...hops,
      'done, it looks fine',
    ];
    const [trace] = parseTraces(text.join('\n'), 'traceroute');
    expect(trace?.hops).toHaveLength(2);
    expect(warningsOf(trace).map((w) => w.slice(0, 7))).toEqual(['line 1:', 'line 5:']);
  });

  it('caps the warnings of a long paste of junk and counts the rest', () => {
    const junk = Array.from({ length: 500 }, (_, i) => `note ${i}: nothing to see`);
    const [trace] = parseTraces([header, ...hops, ...junk].join('\n'), 'traceroute');
    const warnings = warningsOf(trace);
    expect(warnings).toHaveLength(51);
    expect(warnings.at(-1)).toBe('... and 450 more warnings like these');
  });
});
