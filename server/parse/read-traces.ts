/**
 * Traces from a byte stream (a file or standard input). NDJSON inputs (RIPE Atlas results, scamper records)
 * are parsed line by line, so a file of millions of traces never sits in memory; other inputs (mtr JSON,
 * traceroute text, a JSON array) are read whole, within the parser's size limit.
 */
import type { Readable } from 'node:stream';
import { DetourwatchError } from '../../protocol/errors.ts';
import type { Trace } from '../../protocol/trace.ts';
import { DEFAULT_LIMITS, type ParseLimits, parseTraceLine, parseTraces, type TraceFormat } from './index.ts';

/** One trace, or the reason one part of the input gave none; `where` names the line when streaming. */
export type TraceItem = { trace: Trace; where: string } | { error: DetourwatchError; where: string };

function asError(err: unknown): DetourwatchError {
  if (err instanceof DetourwatchError) return err;
  return new DetourwatchError('PARSE_FAILED', err instanceof Error ? err.message : String(err));
}

/** Lines of a text stream, refusing a line longer than `maxLineChars` before it is held whole. */
async function* lines(stream: Readable, maxLineChars: number): AsyncGenerator<string> {
  stream.setEncoding('utf8');
  let partial = '';
  for await (const chunk of stream as AsyncIterable<string>) {
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl !== -1; nl = chunk.indexOf('\n', start)) {
      yield partial + chunk.slice(start, nl);
      partial = '';
      start = nl + 1;
    }
    partial += chunk.slice(start);
    if (partial.length > maxLineChars) {
      throw new DetourwatchError(
        'INPUT_TOO_LARGE',
        `a line is longer than ${maxLineChars} characters; no single trace is that large`,
      );
    }
  }
  if (partial !== '') yield partial;
}

function looksLikeOneObject(line: string): boolean {
  const t = line.trim();
  return t.startsWith('{') && t.endsWith('}');
}

function* itemsOf(parse: () => Trace[], where: string): Generator<TraceItem> {
  let traces: Trace[];
  try {
    traces = parse();
  } catch (err) {
    yield { error: asError(err), where };
    return;
  }
  for (const trace of traces) yield { trace, where };
}

/**
 * Every trace in `stream`. Errors come back as items (never thrown for bad content), so one broken line of a
 * large file costs that line only; I/O errors of the stream itself are thrown.
 */
export async function* readTraces(
  stream: Readable,
  format: TraceFormat,
  limits: ParseLimits = DEFAULT_LIMITS,
): AsyncGenerator<TraceItem> {
  const lineWise = format === 'auto' || format === 'atlas' || format === 'scamper';
  const whole: string[] = [];
  let wholeChars = 0;
  let mode: 'undecided' | 'lines' | 'whole' = lineWise ? 'undecided' : 'whole';
  let lineNumber = 0;
  let firstFailure: TraceItem[] = [];
  for await (const line of lines(stream, limits.maxJsonChars)) {
    lineNumber++;
    if (mode === 'whole') {
      wholeChars += line.length + 1;
      if (wholeChars > limits.maxInputChars) {
        throw new DetourwatchError(
          'INPUT_TOO_LARGE',
          `input is larger than ${limits.maxInputChars} characters; split it, or give NDJSON (one result per line)`,
        );
      }
      whole.push(line);
      continue;
    }
    const where = `line ${lineNumber}`;
    const lineFormat = format === 'auto' || format === 'atlas' || format === 'scamper' ? format : 'auto';
    const items = [...itemsOf(() => parseTraceLine(line, lineFormat, { limits, lineNumber }), where)];
    if (mode === 'undecided') {
      if (line.trim() === '') continue;
      const failure = items.find((i) => 'error' in i);
      const failed = failure !== undefined;
      // A pretty-printed document or text, or mtr's JSON on one line: read it whole, this line included.
      if (failed && (!looksLikeOneObject(line) || ('error' in failure && failure.error.code === 'USAGE'))) {
        mode = 'whole';
        whole.push(line);
        wholeChars = line.length + 1;
        continue;
      }
      mode = 'lines';
      if (failed) {
        // Could be one broken NDJSON line or a single broken document: decided by whether more lines follow.
        firstFailure = items;
        continue;
      }
    }
    yield* firstFailure;
    firstFailure = [];
    yield* items;
  }
  yield* firstFailure;
  if (mode === 'whole') {
    yield* itemsOf(() => parseTraces(whole.join('\n'), format, { limits }), 'input');
  } else if (lineNumber === 0 || mode === 'undecided') {
    yield {
      error: new DetourwatchError('INPUT_EMPTY', 'the input is empty: no trace to read'),
      where: 'input',
    };
  }
}
