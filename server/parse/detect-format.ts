import { DetourwatchError } from '../../protocol/errors.ts';
import { isRecord } from './field-checks.ts';
import { type JsonInput, readJsonInput } from './json-input.ts';
import type { ParseLimits } from './limits.ts';
import { isScamperRecord } from './scamper-json.ts';

export const TRACE_FORMATS = ['auto', 'scamper', 'mtr', 'traceroute', 'atlas'] as const;

/** Which tool's output a text is; `auto` recognises it. */
export type TraceFormat = (typeof TRACE_FORMATS)[number];

export type JsonFormat = 'scamper' | 'mtr' | 'atlas';

export function isTraceFormat(value: string): value is TraceFormat {
  return (TRACE_FORMATS as readonly string[]).includes(value);
}

/** What each JSON format needs, for the message when nothing matches. */
const JSON_SIGNATURES = [
  'scamper: needs "type" cycle-start/trace/tracelb (scamper -O json) or M-Lab\'s "UUID" line',
  'mtr: needs a "report" object (mtr --json)',
  'atlas: needs a "result" array with "msm_id", "prb_id" or "type":"traceroute" (RIPE Atlas)',
  'traceroute: needs text, and this is JSON',
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

const TEXT_START = /^\s*(?:traceroute6?\s+(?:to|from)\s|tracepath6?:|traceroute6?:|\d+\??:?\s)/;

/** mtr's other output modes (--report, --csv, --raw, --xml), which carry less than its JSON. */
const MTR_OTHER_OUTPUT = /^(?:Mtr_Version,|Start: |HOST: |<\?xml[^>]*>\s*<MTR |x 0 \d)/;

export type Detected = { format: 'traceroute' } | { format: JsonFormat; json: JsonInput };

/**
 * Recognises the format from the first value or line. JSON is parsed here once and handed on, so `auto`
 * costs no second parse. When the input clearly is one format but broken, that format's parser gives the
 * precise error; FORMAT_UNKNOWN is for input that matches none of them.
 */
export function detectFormat(text: string, limits: ParseLimits): Detected {
  const lead = text.trimStart();
  const c = lead.charAt(0);
  if (c === '{' || c === '[') {
    const json = readJsonInput(text, limits);
    const first = json.records[0]?.value;
    if (Array.isArray(first) && first.length === 0) {
      throw new DetourwatchError('INPUT_EMPTY', 'input is an empty JSON array: there is no trace in it');
    }
    const format = classifyJson(first);
    if (format === null) throw formatUnknownForJson(first);
    return { format, json };
  }
  if (TEXT_START.test(lead.slice(0, 200))) return { format: 'traceroute' };
  if (MTR_OTHER_OUTPUT.test(lead.slice(0, 200))) {
    throw new DetourwatchError(
      'FORMAT_UNKNOWN',
      "input looks like mtr's report, CSV, raw or XML output; detourwatch reads mtr's JSON: run mtr with --json",
    );
  }
  const lineEnd = lead.indexOf('\n');
  const firstLine = lead.slice(0, Math.min(lineEnd === -1 ? lead.length : lineEnd, 60));
  throw new DetourwatchError(
    'FORMAT_UNKNOWN',
    `input is not a traceroute format detourwatch reads (it starts ${JSON.stringify(firstLine)}); tried scamper, mtr and atlas: not JSON; traceroute: no "traceroute to" header and no line starting with a hop number`,
  );
}
