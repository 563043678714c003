/**
 * Real tool output -> canonical `Trace[]`. Pure functions: text in, traces out, DetourwatchError for
 * anything that is not a trace (INPUT_EMPTY, INPUT_TOO_LARGE, PARSE_FAILED, FORMAT_UNKNOWN,
 * TRACE_UNSUPPORTED). Text formats read pasted text tolerantly and say what they skipped in
 * `Trace.warnings` (paste-tolerance.ts). Limits are in limits.ts.
 */
import { DetourwatchError } from '../../protocol/errors.ts';
import type { Trace } from '../../protocol/trace.ts';
import { atlasRecordToTraces, parseAtlasJson } from './atlas-json.ts';
import { parseCiscoTraceroute } from './cisco-traceroute.ts';
import {
  classifyJson,
  detectFormat,
  formatUnknownForJson,
  type JsonFormat,
  type TextFormat,
  type TraceFormat,
} from './detect-format.ts';
import { checkInputText, stripBom } from './input-text.ts';
import { type JsonInput, parseJsonText, readJsonInput } from './json-input.ts';
import { type ParseLimits, resolveLimits } from './limits.ts';
import { parseMtrCsv } from './mtr-csv.ts';
import { parseMtrJson } from './mtr-json.ts';
import { parseMtrRaw } from './mtr-raw.ts';
import { parseMtrReport } from './mtr-report.ts';
import { parseMtrXml } from './mtr-xml.ts';
import { isMlabMetadata, parseScamperJson, scamperRecordToTraces } from './scamper-json.ts';
import { parseTracerouteText } from './traceroute-text.ts';
import { parseTracert } from './tracert.ts';
import { parseWinMtr } from './winmtr.ts';

export { isTraceFormat, type TextFormat, TRACE_FORMATS, type TraceFormat } from './detect-format.ts';
export { DEFAULT_LIMITS, MAX_TTL, type ParseLimits } from './limits.ts';

export interface ParseOptions {
  /** Tighter (or looser) bounds than DEFAULT_LIMITS. */
  limits?: Partial<ParseLimits>;
}

/** Formats written one result per line, which can be parsed as a stream. */
export type LineFormat = 'auto' | 'scamper' | 'atlas';

export interface ParseLineOptions extends ParseOptions {
  /** The line's number in its file, for error messages. */
  lineNumber?: number;
}

function parseJsonAs(format: JsonFormat, json: JsonInput, limits: ParseLimits): Trace[] {
  if (format === 'scamper') return parseScamperJson(json, limits);
  if (format === 'mtr') return parseMtrJson(json, limits);
  return parseAtlasJson(json, limits);
}

/** Junos and NX-OS print classic traceroute's layout; naming them names the variant of what was read. */
function routerVariant(name: string) {
  return (text: string, limits: ParseLimits): Trace[] => {
    const traces = parseTracerouteText(text, limits);
    for (const trace of traces) trace.meta = { ...trace.meta, variant: name };
    return traces;
  };
}

const TEXT_PARSERS: Record<TextFormat, (text: string, limits: ParseLimits) => Trace[]> = {
  traceroute: parseTracerouteText,
  'mtr-report': parseMtrReport,
  'mtr-raw': parseMtrRaw,
  'mtr-csv': parseMtrCsv,
  'mtr-xml': parseMtrXml,
  tracert: parseTracert,
  winmtr: parseWinMtr,
  cisco: parseCiscoTraceroute,
  junos: routerVariant('junos'),
  nxos: routerVariant('nxos'),
};

function isTextFormat(format: TraceFormat): format is TextFormat {
  return format in TEXT_PARSERS;
}

/**
 * Every trace in `text`, which holds the output of one tool in `format` (recognised when `auto`). Pure: scamper's
 * binary warts needs sc_warts2json, which read-traces.ts runs (warts-convert.ts) before handing the JSON here.
 */
export function parseTraces(text: string, format: TraceFormat = 'auto', options?: ParseOptions): Trace[] {
  const limits = resolveLimits(options?.limits);
  checkInputText(text, limits);
  const body = stripBom(text);
  if (format === 'warts') {
    throw new DetourwatchError(
      'USAGE',
      "warts is scamper's binary format, and this input is text: give the file itself to `detourwatch analyze` (it converts warts with sc_warts2json), or convert it with `sc_warts2json FILE` and read the JSON",
    );
  }
  if (isTextFormat(format)) return TEXT_PARSERS[format](body, limits);
  if (format !== 'auto') return parseJsonAs(format, readJsonInput(body, limits), limits);
  const detected = detectFormat(body, limits);
  if ('json' in detected) return parseJsonAs(detected.format, detected.json, limits);
  return TEXT_PARSERS[detected.format](body, limits);
}

/**
 * The traces in one line of NDJSON (an Atlas result, or a scamper record), so that large files can be read
 * as a stream without holding them whole. Blank lines and scamper's cycle records give []. M-Lab's metadata
 * line is accepted (it starts their files), but the four-line structure of their files is only checked by
 * `parseTraces`.
 */
export function parseTraceLine(
  line: string,
  format: LineFormat = 'auto',
  options?: ParseLineOptions,
): Trace[] {
  const limits = resolveLimits(options?.limits);
  const where = options?.lineNumber === undefined ? 'line' : `line ${options.lineNumber}`;
  if (line.length > limits.maxJsonChars) {
    throw new DetourwatchError(
      'INPUT_TOO_LARGE',
      `${where} is ${line.length} characters, more than the limit of ${limits.maxJsonChars} for one JSON value`,
    );
  }
  if (line.trim() === '') return [];
  const value = parseJsonText(line, where, limits);
  const chosen: JsonFormat | null = format === 'auto' ? classifyJson(value) : format;
  if (chosen === null) throw formatUnknownForJson(value);
  if (chosen === 'mtr') {
    throw new DetourwatchError(
      'USAGE',
      `${where}: mtr reports are whole JSON documents; parse them with parseTraces`,
    );
  }
  if (chosen === 'atlas') return atlasRecordToTraces(value, where, limits);
  if (isMlabMetadata(value, where)) return [];
  return scamperRecordToTraces(value, where, limits);
}
