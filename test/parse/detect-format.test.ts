import { describe, expect, it } from 'vitest';
import { DetourwatchError } from '../../protocol/errors.ts';
import { isTraceFormat, parseTraceLine, parseTraces, TRACE_FORMATS } from '../../server/parse/index.ts';
import { pasted } from './paste-helpers.ts';

const scamperLine = JSON.stringify({
  type: 'trace',
  method: 'udp-paris',
  src: '192.0.2.10',
  dst: '198.51.100.7',
  sport: 40000,
  dport: 33435,
  start: { sec: 1700000000, usec: 0 },
  hops: [{ addr: '192.0.2.1', probe_ttl: 1, rtt: 0.5, icmp_type: 11, icmp_code: 0 }],
});
const atlasResult = {
  af: 4,
  dst_addr: '198.51.100.7',
  msm_id: 5001,
  prb_id: 6001,
  proto: 'UDP',
  paris_id: 1,
  timestamp: 1700000000,
  type: 'traceroute',
  result: [{ hop: 1, result: [{ from: '192.0.2.1', rtt: 0.5, ttl: 255 }] }],
};
const mtrReport = JSON.stringify(
  {
    report: {
      mtr: { src: 'host', dst: '198.51.100.7', tos: 0, tests: 1 },
      hubs: [
        {
          count: 1,
          host: '192.0.2.1',
          'Loss%': 0,
          Snt: 1,
          Last: 0.5,
          Avg: 0.5,
          Best: 0.5,
          Wrst: 0.5,
          StDev: 0,
        },
      ],
    },
  },
  null,
  4,
);
const tracerouteText =
  'traceroute to 198.51.100.7 (198.51.100.7), 30 hops max, 60 byte packets\n 1  192.0.2.1  0.5 ms\n';

describe('format detection', () => {
  it.each([
    ['scamper NDJSON', `{"type":"cycle-start"}\n${scamperLine}\n{"type":"cycle-stop"}\n`, 'scamper'],
    ['a lone scamper trace line', scamperLine, 'scamper'],
    ['an Atlas object', JSON.stringify(atlasResult), 'atlas'],
    ['an Atlas array', JSON.stringify([atlasResult, atlasResult]), 'atlas'],
    ['Atlas NDJSON', `${JSON.stringify(atlasResult)}\n${JSON.stringify(atlasResult)}\n`, 'atlas'],
    ['a pretty mtr report', mtrReport, 'mtr'],
    ['traceroute text', tracerouteText, 'traceroute'],
    ['tracepath text', ' 1?: [LOCALHOST] pmtu 1500\n 1:  192.0.2.1  0.5ms\n', 'traceroute'],
    ['text after a byte-order mark', `\ufeff${tracerouteText}`, 'traceroute'],
  ])('recognises %s', (_what, text, tool) => {
    const traces = parseTraces(text);
    expect(traces.length).toBeGreaterThan(0);
    for (const trace of traces) expect(trace.tool).toBe(tool);
    // Naming the format gives the same result as recognising it.
    expect(parseTraces(text, tool as 'scamper' | 'atlas' | 'mtr' | 'traceroute')).toEqual(traces);
  });

  it('says which formats it tried and what each needs when JSON matches none', () => {
    const error = (() => {
      try {
        parseTraces('{"hello":"world"}');
      } catch (err) {
        return err as DetourwatchError;
      }
    })();
    expect(error).toBeInstanceOf(DetourwatchError);
    expect(error?.code).toBe('FORMAT_UNKNOWN');
    for (const format of ['scamper', 'mtr', 'atlas', 'traceroute'])
      expect(error?.message).toContain(`${format}:`);
  });

  it.each([
    ['prose', 'Hello, this is not a traceroute.\n'],
    ['a JSON string', '"traceroute"'],
    ['a JSON number array', '[1,2,3]'],
  ])('rejects %s as FORMAT_UNKNOWN', (_what, text) => {
    expect(() => parseTraces(text)).toThrow(expect.objectContaining({ code: 'FORMAT_UNKNOWN' }));
  });

  it.each([
    ['an mtr report', 'mtr-report/rw-n-c3.txt', 'mtr', 'report'],
    ["a copy of mtr's screen", 'mtr-curses/screen-100x20.txt', 'mtr', 'screen'],
    ['mtr --raw', 'mtr-raw/raw-n-c2.txt', 'mtr', 'raw'],
    ['mtr --csv', 'mtr-csv/csv-n-c3.txt', 'mtr', 'csv'],
    ['mtr --xml', 'mtr-xml/xml-n-c3.xml', 'mtr', 'xml'],
    ['Windows tracert', 'tracert/azure-docs-route-table-names.txt', 'traceroute', 'windows-tracert'],
    [
      'Windows tracert after its prompt',
      'tracert/azure-docs-expressroute-timeout.txt',
      'traceroute',
      'windows-tracert',
    ],
    ['a German tracert', 'tracert/handwritten-german.txt', 'traceroute', 'windows-tracert'],
    ['a WinMTR export', 'winmtr/handwritten-export.txt', 'mtr', 'winmtr'],
    ['Cisco IOS', 'cisco/ios-ntc-traceroute-5-mpls.txt', 'traceroute', 'cisco-ios'],
    ['Cisco IOS-XR', 'cisco/iosxr-genie-golden-prompt-mpls.txt', 'traceroute', 'cisco-ios-xr'],
    ['NX-OS', 'nxos/napalm-nxos-ssh-alternate1-mpls.txt', 'traceroute', 'nxos'],
    ['Junos with MPLS lines', 'junos/handwritten-mpls-labels.txt', 'traceroute', 'junos'],
  ])('recognises %s (after any prompt lines)', (_what, file, tool, variant) => {
    const [trace] = parseTraces(pasted(file));
    expect(trace?.tool).toBe(tool);
    expect(trace?.meta?.variant).toBe(variant);
  });

  it('recognises Junos after its `[edit]` line, which is not JSON', () => {
    const text = `[edit]\n${pasted('junos/handwritten-mpls-labels.txt')}`;
    expect(parseTraces(text)[0]?.meta?.variant).toBe('junos');
  });

  it('says, when no text format matches, which it tried and what each needs', () => {
    const error = (() => {
      try {
        parseTraces('Hello, this is not a traceroute.\n');
      } catch (err) {
        return err as DetourwatchError;
      }
    })();
    expect(error?.code).toBe('FORMAT_UNKNOWN');
    expect(error?.message).toContain('tried scamper, mtr and atlas: not JSON');
    for (const format of TRACE_FORMATS.filter(
      (f) => !['auto', 'scamper', 'mtr', 'atlas', 'junos', 'nxos'].includes(f),
    )) {
      expect(error?.message).toContain(`${format}: needs`);
    }
    // Junos and NX-OS print the classic layout: the traceroute entry names them.
    expect(error?.message).toMatch(/traceroute: needs .*Junos, NX-OS/);
  });

  it("gives the named parser's own error when the named format is wrong", () => {
    expect(() => parseTraces(JSON.stringify(atlasResult), 'mtr')).toThrow(/"report"/);
    expect(() => parseTraces(mtrReport, 'atlas')).toThrow(/"result" must be an array/);
    expect(() => parseTraces(tracerouteText, 'scamper')).toThrow(
      expect.objectContaining({ code: 'PARSE_FAILED' }),
    );
    expect(() => parseTraces(scamperLine, 'traceroute')).toThrow(
      expect.objectContaining({ code: 'PARSE_FAILED' }),
    );
  });

  it('calls an empty JSON array empty', () => {
    expect(() => parseTraces('[]')).toThrow(expect.objectContaining({ code: 'INPUT_EMPTY' }));
    expect(parseTraces('[]', 'atlas')).toEqual([]);
  });

  it('knows its format names', () => {
    for (const format of TRACE_FORMATS) expect(isTraceFormat(format)).toBe(true);
    expect(isTraceFormat('warts')).toBe(true);
    expect(isTraceFormat('pcap')).toBe(false);
  });
});

describe('parseTraceLine (streaming NDJSON)', () => {
  it('gives the same traces line by line as parseTraces on the whole file', () => {
    const text = [JSON.stringify(atlasResult), '', JSON.stringify({ ...atlasResult, prb_id: 6002 })].join(
      '\n',
    );
    const streamed = text
      .split('\n')
      .flatMap((line, i) => parseTraceLine(line, 'auto', { lineNumber: i + 1 }));
    expect(streamed).toEqual(parseTraces(text));
  });

  it('names the line in errors and refuses lines longer than the limit', () => {
    expect(() => parseTraceLine('{"type":', 'auto', { lineNumber: 42 })).toThrow(
      /^line 42 is not valid JSON/,
    );
    expect(() => parseTraceLine(scamperLine, 'scamper', { limits: { maxJsonChars: 100 } })).toThrow(
      expect.objectContaining({ code: 'INPUT_TOO_LARGE' }),
    );
    expect(() => parseTraceLine('{"a":1}')).toThrow(expect.objectContaining({ code: 'FORMAT_UNKNOWN' }));
  });
});
