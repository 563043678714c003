/**
 * Hostile and broken input (issue 2, item 7): every case ends in a DetourwatchError with a code a script can
 * act on, or in a bounded result, quickly. The inputs are generated here.
 */
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

const SAMPLES: Record<Exclude<TraceFormat, 'auto'>, string> = {
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
};
const FORMATS = Object.keys(SAMPLES) as Exclude<TraceFormat, 'auto'>[];

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
  it.each(FORMATS.filter((f) => f !== 'traceroute'))(
    '%s JSON cut anywhere gives PARSE_FAILED, never a crash',
    (format) => {
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
    },
  );
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
        }
      } catch (err) {
        if (!(err instanceof DetourwatchError))
          throw new Error(`${String(err)} for input ${JSON.stringify(mutated)}`);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(0);
  });
});
