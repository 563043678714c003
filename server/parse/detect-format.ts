import { DetourwatchError } from '../../protocol/errors.ts';
import { isRecord } from './field-checks.ts';
import { forEachLine } from './input-text.ts';
import { type JsonInput, readJsonInput } from './json-input.ts';
import type { ParseLimits } from './limits.ts';
import { noiseOf } from './paste-tolerance.ts';
import { isScamperRecord } from './scamper-json.ts';

export const TRACE_FORMATS = [
  'auto',
  // JSON
  'scamper',
  'mtr',
  'atlas',
  // text
  'traceroute',
  'mtr-report',
  'mtr-raw',
  'mtr-csv',
  'mtr-xml',
  'tracert',
  'winmtr',
  'cisco',
  'junos',
  'nxos',
  // binary: read by read-traces.ts (sc_warts2json), never by parseTraces
  'warts',
] as const;

/** Which tool's output a text is; `auto` recognises it. */
export type TraceFormat = (typeof TRACE_FORMATS)[number];

export type JsonFormat = 'scamper' | 'mtr' | 'atlas';

export type TextFormat = Exclude<TraceFormat, 'auto' | JsonFormat | 'warts'>;

export function isTraceFormat(value: string): value is TraceFormat {
  return (TRACE_FORMATS as readonly string[]).includes(value);
}

/** What each JSON format needs, for the message when nothing matches. */
const JSON_SIGNATURES = [
  'scamper: needs "type" cycle-start/trace/tracelb (scamper -O json) or M-Lab\'s "UUID" line',
  'mtr: needs a "report" object (mtr --json)',
  'atlas: needs a "result" array with "msm_id", "prb_id" or "type":"traceroute" (RIPE Atlas)',
  'traceroute: needs text, and this is JSON (so do mtr-report, mtr-raw, mtr-csv, mtr-xml, tracert, winmtr, cisco, junos and nxos)',
];

/** The JSON format of one value (for arrays, of their first element), or null. */
export function classifyJson(value: unknown): JsonFormat | null {
  const sample = Array.isArray(value) ? value[0] : value;
  if (!isRecord(sample)) return null;
  if ('UUID' in sample || 'Metadata' in sample) return 'scamper';
  if (
    Array.isArray(sample.result) &&
    (sample.type === 'traceroute' || 'msm_id' in sample || 'prb_id' in sample)
  ) {
    return 'atlas';
  }
  if (isRecord(sample.report)) return 'mtr';
  if (isScamperRecord(sample)) return 'scamper';
  return null;
}

export function formatUnknownForJson(value: unknown): DetourwatchError {
  const what = Array.isArray(value) ? 'the first element of the JSON array' : 'the JSON';
  return new DetourwatchError(
    'FORMAT_UNKNOWN',
    `${what} is not a traceroute format detourwatch reads; tried ${JSON_SIGNATURES.join('; ')}`,
  );
}

interface TextSignature {
  format: TextFormat;
  /** What a line of this format looks like, for the message when no format matches. */
  needs: string;
  test(line: string): boolean;
}

const TRACERT_HOP = /^\s*\d{1,3}\s+(?:(?:\*|<?\d{1,7} ?ms)\s+){3}\S/;

/**
 * In the order they are tried on each line: the distinctive layouts first, classic traceroute (whose hop lines
 * start with a bare number, as Cisco's and tracert's do) last. Junos and NX-OS print the classic layout: they
 * are recognised as `traceroute`, and its parser names the variant from their MPLS lines.
 */
const TEXT_SIGNATURES: readonly TextSignature[] = [
  {
    format: 'winmtr',
    needs: 'a "| WinMTR statistics |" title or a "| Host - % | Sent | Recv | ..." header',
    test: (l) => /\|\s*WinMTR statistics\s*\|/.test(l) || /^\s*\|\s*Host\s+-\s+%\s+\|\s*Sent\s*\|/.test(l),
  },
  {
    format: 'mtr-csv',
    needs: 'a "Mtr_Version,Start_Time,..." header (mtr --csv)',
    test: (l) => l.startsWith('Mtr_Version,'),
  },
  {
    format: 'mtr-xml',
    needs: 'an <MTR SRC=... DST=...> element (mtr --xml)',
    test: (l) => /<MTR\s[^>]*DST=/.test(l),
  },
  {
    format: 'mtr-report',
    needs:
      '"Start:", "HOST: ... Loss% Snt ..." or "My traceroute" lines, or rows like "  1.|-- 192.0.2.1  0.0%" (mtr -r, mtr\'s screen)',
    test: (l) =>
      /^\s*(?:HOST:\s*\S*|Host)\s+(?:Loss%|Snt|Drop|Rcv|Last|Best|Avg|Wrst|StDev)(?:\s|$)/.test(l) ||
      /^\s*My traceroute\s+\[v?[\w.]+\]\s*$/.test(l) ||
      /^Start:\s*\d{4}-\d\d-\d\dT/.test(l) ||
      /^\s*\d{1,3}\.(?:\|--|\s+AS(?:\d+|\?\?\?))\s/.test(l),
  },
  {
    format: 'mtr-raw',
    needs: 'events like "x 0 33000", "h 0 192.0.2.1", "p 0 61 33000" (mtr --raw)',
    test: (l) => /^[xhpd] \d{1,3} \S+(?: \d{1,10})?$/.test(l),
  },
  {
    format: 'tracert',
    needs:
      '"Tracing route to" or hop lines like "  1    <1 ms    <1 ms    <1 ms  192.168.1.1" (Windows tracert)',
    test: (l) =>
      /^\s*Tracing route to \S/.test(l) || /^\s*Routenverfolgung zu \S/.test(l) || TRACERT_HOP.test(l),
  },
  {
    format: 'cisco',
    needs:
      '"Type escape sequence to abort.", "Tracing the route to" or hop lines with "msec" (Cisco IOS, IOS-XE, IOS-XR)',
    test: (l) =>
      /^\s*Type escape sequence to abort\./.test(l) ||
      /^\s*Tracing the route to \S/.test(l) ||
      /^\s*\d{1,3}\s+\S+.*\s\d{1,7} msec(?:\s|$)/.test(l),
  },
  {
    format: 'traceroute',
    needs:
      'a "traceroute to" header or lines starting with a hop number (Linux, BSD, macOS, Junos, NX-OS, tracepath)',
    test: (l) => /^\s*(?:traceroute6?\s+(?:to|from)\s|tracepath6?:|traceroute6?:|\d{1,3}\??:?\s)/.test(l),
  },
];

/** Lines and characters looked at before giving up: a format shows itself within its first lines. */
const SNIFF_LINES = 64;
const SNIFF_CHARS = 64 * 1024;

export type Detected = { format: TextFormat } | { format: JsonFormat; json: JsonInput };

/** A first line that opens JSON (not Junos' `[edit]` or another bracketed word). */
const JSON_START = /^\s*(?:\{|\[\s*(?:[[{"\d\]-]|$|true|false|null))/;

/**
 * Recognises the format from the first value or lines. JSON is parsed here once and handed on, so `auto`
 * costs no second parse. Text is recognised by its first line that is not a prompt or a command; when that is
 * clearly one format but broken, that format's parser gives the precise error. FORMAT_UNKNOWN is for input
 * that matches none of them, and says what each needs.
 */
export function detectFormat(text: string, limits: ParseLimits): Detected {
  const lead = text.trimStart();
  const firstLine = lead.slice(0, Math.min(lead.length, 200)).split('\n', 1)[0] ?? '';
  if (JSON_START.test(firstLine)) {
    const json = readJsonInput(text, limits);
    const first = json.records[0]?.value;
    if (Array.isArray(first) && first.length === 0) {
      throw new DetourwatchError('INPUT_EMPTY', 'input is an empty JSON array: there is no trace in it');
    }
    const format = classifyJson(first);
    if (format === null) throw formatUnknownForJson(first);
    return { format, json };
  }
  if (/^<(?:!DOCTYPE\s+html|html[\s>]|head[\s>]|body[\s>])/i.test(lead)) {
    throw new DetourwatchError(
      'FORMAT_UNKNOWN',
      "input is an HTML page, not a tool's output: copy the traceroute text out of the page (or save it as text) and give that",
    );
  }
  const found = sniffText(text);
  if (found !== null) return { format: found };
  const start = JSON.stringify(firstLine.slice(0, 60));
  throw new DetourwatchError(
    'FORMAT_UNKNOWN',
    `input is not a traceroute format detourwatch reads (it starts ${start}); tried scamper, mtr and atlas: not JSON; ${TEXT_SIGNATURES.map((s) => `${s.format}: needs ${s.needs}`).join('; ')}; warts: needs a binary file from scamper -O warts`,
  );
}

/** The first format whose signature a line matches, over the first lines that are not prompts or commands. */
function sniffText(text: string): TextFormat | null {
  const head = text.length > SNIFF_CHARS ? text.slice(0, SNIFF_CHARS) : text;
  let found: TextFormat | null = null;
  let looked = 0;
  forEachLine(head, (line) => {
    if (found !== null || looked >= SNIFF_LINES || line.trim() === '' || noiseOf(line) !== null) return;
    looked++;
    // Indentation is how the paste came, not what the tool printed.
    const trimmed = line.trim();
    found = TEXT_SIGNATURES.find((s) => s.test(trimmed))?.format ?? null;
  });
  return found;
}
