/**
 * Hostile and broken input (issue 2, item 7; issue 13, item 5 for pasted text): every case ends in a
 * DetourwatchError with a code a script can act on, or in a bounded result with its warnings, quickly. The
 * inputs are generated here, or built from the pasted-text fixtures.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DetourwatchError, type ErrorCode } from '../../protocol/errors.ts';
import type { Trace } from '../../protocol/trace.ts';
import {
  DEFAULT_LIMITS,
  MAX_TTL,
  parseTraceLine,
  parseTraces,
  type TraceFormat,
} from '../../server/parse/index.ts';
import { MAX_WARNINGS } from '../../server/parse/paste-tolerance.ts';
import { readTraceInput, type TraceItem } from '../../server/parse/read-traces.ts';
import { pasted } from './paste-helpers.ts';

const MB = 1024 * 1024;

function failure(run: () => unknown): DetourwatchError {
  try {
    run();
  } catch (err) {
    if (err instanceof DetourwatchError) return err;
    throw new Error(`expected a DetourwatchError, got ${String(err)}`);
  }
  throw new Error('expected a DetourwatchError, got a result');
}

function expectCode(run: () => unknown, code: ErrorCode, message?: RegExp): DetourwatchError {
  const err = failure(run);
  expect(err.code, err.message).toBe(code);
  if (message) expect(err.message).toMatch(message);
  return err;
}

function atlasResult(hops: unknown[], extra: Record<string, unknown> = {}) {
  return {
    af: 4,
    dst_addr: '198.51.100.7',
    msm_id: 1,
    prb_id: 2,
    proto: 'UDP',
    type: 'traceroute',
    result: hops,
    ...extra,
  };
}

function atlasHop(ttl: number, packets = 3) {
  return {
    hop: ttl,
    result: Array.from({ length: packets }, (_, i) => ({ from: '192.0.2.1', rtt: 1 + i, ttl: 250 })),
  };
}

function scamperTrace(hops: unknown[]) {
  return {
    type: 'trace',
    method: 'icmp-echo-paris',
    src: '192.0.2.10',
    dst: '198.51.100.7',
    icmp_sum: 1,
    hops,
  };
}

/** A sample of every format parseTraces reads (warts is binary: see warts.test.ts). */
const SAMPLES: Record<Exclude<TraceFormat, 'auto' | 'warts'>, string> = {
  atlas: JSON.stringify(atlasResult([atlasHop(1), atlasHop(2)])),
  scamper: `{"type":"cycle-start"}\n${JSON.stringify(scamperTrace([{ addr: '192.0.2.1', probe_ttl: 1, rtt: 0.4 }]))}\n{"type":"cycle-stop"}\n`,
  mtr: JSON.stringify(
    {
      report: {
        mtr: { src: 'h', dst: '198.51.100.7', tests: 1 },
        hubs: [
          { count: 1, host: '192.0.2.1', 'Loss%': 0, Snt: 1, Last: 1, Avg: 1, Best: 1, Wrst: 1, StDev: 0 },
        ],
      },
    },
    null,
    2,
  ),
  traceroute:
    'traceroute to 198.51.100.7 (198.51.100.7), 30 hops max, 60 byte packets\n 1  gw (192.0.2.1)  0.5 ms  0.4 ms !H *\n 2  * 198.51.100.7  9.1 ms\n',
  'mtr-report': pasted('mtr-report/rwn-c10-r2-ratelimited.txt'),
  'mtr-raw': pasted('mtr-raw/raw-n-c5-r2-ratelimited.txt'),
  'mtr-csv': pasted('mtr-csv/csv-n-c3.txt'),
  'mtr-xml': pasted('mtr-xml/xml-n-c3.xml'),
  tracert: pasted('tracert/azure-docs-route-table-names.txt'),
  winmtr: pasted('winmtr/handwritten-export.txt'),
  cisco: pasted('cisco/ios-ntc-traceroute-2-unreachable.txt'),
  junos: pasted('junos/handwritten-mpls-labels.txt'),
  nxos: pasted('nxos/napalm-nxos-ssh-alternate1-mpls.txt'),
};
const FORMATS = Object.keys(SAMPLES) as (keyof typeof SAMPLES)[];
const JSON_FORMATS = ['scamper', 'mtr', 'atlas'] as const;

describe('empty input', () => {
  it.each([...FORMATS, 'auto'] as TraceFormat[])(
    'format %s: INPUT_EMPTY for empty and blank text',
    (format) => {
      expectCode(() => parseTraces('', format), 'INPUT_EMPTY');
      expectCode(() => parseTraces(' \n\r\n\t\n', format), 'INPUT_EMPTY');
    },
  );
});

describe('truncated input', () => {
  it.each(JSON_FORMATS)('%s JSON cut anywhere gives PARSE_FAILED, never a crash', (format) => {
    const text = SAMPLES[format];
    // Every cut that leaves non-blank text and breaks the JSON: all of them must fail cleanly.
    for (let cut = 1; cut < text.length - 1; cut++) {
      const part = text.slice(0, cut);
      if (part.trim() === '') continue;
      let traces: Trace[] | undefined;
      try {
        traces = parseTraces(part, format);
      } catch (err) {
        expect(err, `cut at ${cut}`).toBeInstanceOf(DetourwatchError);
        continue;
      }
      // A cut on a line boundary of NDJSON leaves whole records: a valid shorter file.
      expect(Array.isArray(traces)).toBe(true);
    }
    expectCode(
      () => parseTraces(text.slice(0, Math.floor(text.length / 2)), format),
      'PARSE_FAILED',
      /truncated/,
    );
  });
});

describe('binary input', () => {
  it('reports random bytes as binary', () => {
    let seed = 99;
    const bytes = Buffer.from(
      Array.from({ length: 8192 }, () => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return seed & 0xff;
      }),
    );
    for (const format of [...FORMATS, 'auto'] as TraceFormat[]) {
      expectCode(() => parseTraces(bytes.toString('utf8'), format), 'PARSE_FAILED', /binary/);
    }
  });

  it('recognises a scamper warts file and says how to convert it', () => {
    const warts = Buffer.from([0x12, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 0x10, 0x41, 0x42]).toString(
      'latin1',
    );
    expectCode(() => parseTraces(warts), 'PARSE_FAILED', /sc_warts2json/);
  });

  it('refuses text with a NUL byte in it', () => {
    expectCode(() => parseTraces(`${SAMPLES.traceroute}\u0000\u0000`), 'PARSE_FAILED', /NUL/);
  });
});

describe('very long lines', () => {
  it('refuses a 50 MB line of traceroute text (INPUT_TOO_LARGE) without scanning it for hops', () => {
    const line = ` 1  192.0.2.1  0.5 ms${'  0.5 ms'.repeat((50 * MB) / 8)}`;
    const started = performance.now();
    expectCode(() => parseTraces(line, 'traceroute'), 'INPUT_TOO_LARGE', /characters/);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('refuses 50 MB of one unknown line quickly (FORMAT_UNKNOWN)', () => {
    const started = performance.now();
    expectCode(() => parseTraces('x'.repeat(50 * MB)), 'FORMAT_UNKNOWN');
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('reads a 50 MB single-line Atlas array (an API download) as a bounded list of traces', () => {
    const one = JSON.stringify(atlasResult(Array.from({ length: 15 }, (_, i) => atlasHop(i + 1))));
    const count = Math.ceil((50 * MB) / (one.length + 1));
    const text = `[${Array.from({ length: count }, () => one).join(',')}]`;
    expect(text.length).toBeGreaterThan(50 * MB);
    const started = performance.now();
    const traces = parseTraces(text);
    expect(traces).toHaveLength(count);
    expect(traces[count - 1]?.hops).toHaveLength(15);
    expect(performance.now() - started).toBeLessThan(20_000);
    // The same document over a tighter JSON limit is refused before parsing.
    expectCode(() => parseTraces(text, 'auto', { limits: { maxJsonChars: 10 * MB } }), 'INPUT_TOO_LARGE');
  });

  it('refuses an NDJSON line over the JSON limit, naming the line', () => {
    const big = JSON.stringify(atlasResult([atlasHop(1)], { dst_name: 'a'.repeat(2 * MB) }));
    const text = `${big}\n${big}\n`;
    expectCode(
      () => parseTraces(text, 'atlas', { limits: { maxJsonChars: MB } }),
      'INPUT_TOO_LARGE',
      /line 1/,
    );
    expectCode(() => parseTraceLine(big, 'atlas', { limits: { maxJsonChars: MB } }), 'INPUT_TOO_LARGE');
    // Within the limit the line parses, and the absurd name is refused as a field.
    expectCode(() => parseTraceLine(big, 'atlas'), 'PARSE_FAILED', /dst_name/);
  });

  it('refuses input over the whole-input limit', () => {
    expectCode(
      () => parseTraces(SAMPLES.atlas, 'auto', { limits: { maxInputChars: 100 } }),
      'INPUT_TOO_LARGE',
    );
  });

  it('survives JSON nested 100,000 deep', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const err = failure(() => parseTraces(deep));
    expect(['FORMAT_UNKNOWN', 'PARSE_FAILED']).toContain(err.code);
  });
});

describe('a trace with 10,000 hops', () => {
  const TEN_THOUSAND = 10_000;

  it.each([
    [
      'atlas',
      JSON.stringify(atlasResult(Array.from({ length: TEN_THOUSAND }, (_, i) => atlasHop(i + 1, 1)))),
    ],
    [
      'scamper',
      JSON.stringify(
        scamperTrace(
          Array.from({ length: TEN_THOUSAND }, (_, i) => ({ addr: '192.0.2.1', probe_ttl: i + 1, rtt: 1 })),
        ),
      ),
    ],
    [
      'mtr',
      JSON.stringify({
        report: {
          mtr: { dst: '198.51.100.7' },
          hubs: Array.from({ length: TEN_THOUSAND }, (_, i) => ({
            count: i + 1,
            host: '192.0.2.1',
            'Loss%': 0,
            Snt: 1,
            Last: 1,
            Avg: 1,
            Best: 1,
            Wrst: 1,
            StDev: 0,
          })),
        },
      }),
    ],
    ['traceroute', Array.from({ length: TEN_THOUSAND }, (_, i) => ` ${i + 1}  192.0.2.1  1.0 ms`).join('\n')],
  ] as const)('%s: TTLs beyond 255 are refused (PARSE_FAILED)', (format, text) => {
    const started = performance.now();
    expectCode(() => parseTraces(text, format), 'PARSE_FAILED', new RegExp(`${MAX_TTL}`));
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('10,000 entries on valid TTLs, in any order, merge into at most 255 hops', () => {
    let seed = 5;
    const hops = Array.from({ length: TEN_THOUSAND }, () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return atlasHop(1 + (seed % MAX_TTL), 1);
    });
    const started = performance.now();
    const [trace] = parseTraces(JSON.stringify(atlasResult(hops)));
    expect(performance.now() - started).toBeLessThan(5_000);
    const ttls = trace?.hops.map((h) => h.ttl) ?? [];
    expect(ttls.length).toBeLessThanOrEqual(MAX_TTL);
    expect(ttls).toEqual([...ttls].sort((a, b) => a - b));
    expect(trace?.hops.reduce((n, h) => n + h.replies.length, 0)).toBe(TEN_THOUSAND);
  });

  it('10,000 replies to one TTL exceed the per-hop bound (INPUT_TOO_LARGE)', () => {
    const text = JSON.stringify(atlasResult([atlasHop(1, TEN_THOUSAND)]));
    expect(TEN_THOUSAND).toBeGreaterThan(DEFAULT_LIMITS.maxRepliesPerHop);
    expectCode(() => parseTraces(text), 'INPUT_TOO_LARGE', /hop 1 has more than/);
  });
});

describe('mutated input never crashes', () => {
  it.each(FORMATS)('%s: 1,500 random corruptions give traces or a DetourwatchError', (format) => {
    const text = SAMPLES[format];
    const alphabet = [
      '{',
      '}',
      '[',
      ']',
      '"',
      ':',
      ',',
      '0',
      '9',
      '-',
      '.',
      ' ',
      '\n',
      '*',
      '!',
      'x',
      '(',
      ')',
      'ms',
      'null',
    ];
    let seed = format.length * 7919;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    let rejected = 0;
    let warned = 0;
    for (let i = 0; i < 1500; i++) {
      const chars = [...text];
      for (let k = 0, edits = 1 + next(4); k < edits; k++) {
        const at = next(chars.length);
        const op = next(3);
        if (op === 0) chars.splice(at, 1);
        else if (op === 1) chars.splice(at, 0, alphabet[next(alphabet.length)] as string);
        else chars[at] = alphabet[next(alphabet.length)] as string;
      }
      const mutated = chars.join('');
      try {
        const traces = parseTraces(mutated, next(2) === 0 ? format : 'auto');
        for (const trace of traces) {
          for (const hop of trace.hops) expect(hop.ttl >= 1 && hop.ttl <= MAX_TTL).toBe(true);
          if (trace.warnings !== undefined) warned++;
        }
      } catch (err) {
        if (!(err instanceof DetourwatchError))
          throw new Error(`${String(err)} for input ${JSON.stringify(mutated)}`);
        rejected++;
      }
    }
    // JSON breaks: refused. Text is read tolerantly: what it could not read comes back as warnings.
    if ((JSON_FORMATS as readonly string[]).includes(format)) expect(rejected).toBeGreaterThan(0);
    else expect(rejected + warned).toBeGreaterThan(0);
  });
});

describe('pasted text that is not a trace (issue 13, item 5)', () => {
  const MB_50 = 50 * MB;

  it('refuses an HTML page with a message saying what to do', () => {
    const page =
      '<!DOCTYPE html>\n<html><head><title>Traceroute</title></head><body><pre>\n 1  192.0.2.1  0.5 ms\n</pre></body></html>\n';
    expectCode(() => parseTraces(page), 'FORMAT_UNKNOWN', /HTML page.*copy the traceroute text/);
    // Named as a format, the page is that format's own error: nothing in it reads as its output.
    expectCode(
      () => parseTraces(page.replace(/ 1 {2}192.*\n/, ''), 'tracert'),
      'PARSE_FAILED',
      /no tracert hop lines/,
    );
  });

  it('says, for text it cannot place, what each format it tried needs', () => {
    const err = expectCode(
      () => parseTraces('Hello, here is my network problem.\nIt is slow.\n'),
      'FORMAT_UNKNOWN',
    );
    for (const format of FORMATS.filter(
      (f) => !(JSON_FORMATS as readonly string[]).includes(f) && f !== 'junos' && f !== 'nxos',
    )) {
      expect(err.message).toContain(`${format}: needs`);
    }
    expect(err.message).toContain('warts: needs');
  });

  it('a 50 MB paste: one trace and 50 MB of other text is read in bounded time, with bounded warnings', () => {
    const junk = 'this line is not part of any traceroute output, just words\n';
    const text = `${SAMPLES.traceroute}${junk.repeat(Math.ceil(MB_50 / junk.length))}`;
    expect(text.length).toBeGreaterThan(MB_50);
    const started = performance.now();
    const [trace] = parseTraces(text);
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(trace?.hops.map((h) => h.ttl)).toEqual([1, 2]);
    expect(trace?.warnings).toHaveLength(51);
    expect(trace?.warnings?.at(-1)).toMatch(/^\.\.\. and \d+ more warnings like these$/);
  });

  it.each(['mtr-report', 'tracert', 'cisco', 'winmtr'] as const)(
    'a 50 MB paste of one %s row repeated: bounded time and a bounded answer',
    (format) => {
      const sample = SAMPLES[format];
      const lines = sample.split(/\r?\n/);
      const row = lines.find((l) => /\d+ +(?:ms|msec)|0\.0%|\|\s+\d+\s+\|/.test(l)) as string;
      const text = `${sample}\n${`${row}\n`.repeat(Math.ceil(MB_50 / (row.length + 1)))}`;
      const started = performance.now();
      let traces: Trace[] = [];
      try {
        traces = parseTraces(text, format);
      } catch (err) {
        expect(err).toBeInstanceOf(DetourwatchError);
      }
      expect(performance.now() - started).toBeLessThan(20_000);
      for (const trace of traces) {
        expect(trace.hops.length).toBeLessThanOrEqual(MAX_TTL);
        // The line warnings are capped; a few notes about the whole trace come on top.
        expect(trace.warnings?.length ?? 0).toBeLessThanOrEqual(MAX_WARNINGS + 6);
      }
    },
  );

  it('a German tracert saved by cmd.exe (code page 850, not UTF-8) is read, not taken for binary', () => {
    const cp850 = Buffer.from(pasted('tracert/handwritten-german.txt').replace(/ü/g, '\u0000'), 'latin1');
    // "ü" is 0x81 in code page 850: invalid as UTF-8.
    for (let i = cp850.indexOf(0); i !== -1; i = cp850.indexOf(0, i + 1)) cp850[i] = 0x81;
    const text = cp850.toString('utf8');
    expect(text).toContain('\ufffd');
    const [trace] = parseTraces(text);
    expect(trace?.meta?.variant).toBe('windows-tracert');
    expect(trace?.destination.address).toBe('203.0.113.80');
    expect(trace?.hops).toHaveLength(4);
    // The header line it could not read ("�ber maximal 30 Hops:") is named.
    expect(trace?.warnings?.some((w) => w.startsWith('line 4:'))).toBe(true);
  });

  it('a tracert saved as UTF-16 (Windows PowerShell `>`) is read from its bytes', async () => {
    const text = pasted('tracert/azure-docs-expressroute-timeout.txt');
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    // As text (decoded as UTF-8 by someone else) it is NUL bytes: refused, with the way out named.
    expectCode(() => parseTraces(bytes.toString('utf8')), 'PARSE_FAILED', /UTF-16/);
    const items: TraceItem[] = [];
    for await (const piece of readTraceInput(
      Readable.from([bytes.subarray(0, 7), bytes.subarray(7)]),
      'auto',
    )) {
      if ('items' in piece) items.push(...piece.items);
    }
    expect(items).toHaveLength(1);
    const item = items[0] as TraceItem;
    // The same hops as the text read as text.
    expect('trace' in item && item.trace.hops).toEqual(parseTraces(text)[0]?.hops);
    expect('trace' in item && item.trace.hops.map((h) => h.replies[0]?.address)).toContain('10.17.11.132');
  });
});
