/**
 * Traces from a byte stream (a file or standard input). NDJSON inputs (RIPE Atlas results, scamper records)
 * are parsed line by line, so a file of millions of traces never sits in memory; other inputs (mtr JSON,
 * traceroute text, a JSON array) are read whole, within the parser's size limit. A scamper warts file (binary,
 * recognised by its first two bytes) is read whole and converted by sc_warts2json (warts-convert.ts).
 */
import type { Readable } from 'node:stream';
import { DetourwatchError } from '../../protocol/errors.ts';
import type { Trace } from '../../protocol/trace.ts';
import {
  DEFAULT_LIMITS,
  type LineFormat,
  type ParseLimits,
  parseTraceLine,
  parseTraces,
  type TraceFormat,
} from './index.ts';
import { isWarts, parseWartsBytes, type WartsConverter, wartsToJson } from './warts-convert.ts';

/** One trace, or the reason one part of the input gave none; `where` names the line when streaming. */
export type TraceItem = { trace: Trace; where: string } | { error: DetourwatchError; where: string };

/**
 * A piece of the input in order: traces already read (the first line, which decides the mode, or a whole
 * document), or NDJSON lines not yet parsed, so a caller can parse them elsewhere (worker threads).
 */
export type InputPiece = { items: TraceItem[] } | { lines: string[]; firstLineNumber: number };

/** Lines of one NDJSON piece at most: what a worker gets per message. */
export const LINES_PER_PIECE = 256;

function asError(err: unknown): DetourwatchError {
  if (err instanceof DetourwatchError) return err;
  return new DetourwatchError('PARSE_FAILED', err instanceof Error ? err.message : String(err));
}

/** The stream's chunks as bytes (a stream someone set an encoding on gives strings: they are encoded back). */
async function* byteChunks(stream: Readable): AsyncGenerator<Buffer> {
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    yield typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
  }
}

/**
 * The text of `head` and then the rest, with characters split across chunks kept whole: UTF-8, or UTF-16 when
 * the file starts with its byte-order mark (Windows PowerShell's `tracert ... > file` writes UTF-16LE).
 */
async function* textChunks(head: Buffer, rest: AsyncIterator<Buffer>): AsyncGenerator<string> {
  const utf16 =
    head[0] === 0xff && head[1] === 0xfe
      ? 'utf-16le'
      : head[0] === 0xfe && head[1] === 0xff
        ? 'utf-16be'
        : null;
  const decoder = new TextDecoder(utf16 ?? 'utf-8');
  if (head.length > 0) yield decoder.decode(head, { stream: true });
  for (let next = await rest.next(); !next.done; next = await rest.next()) {
    yield decoder.decode(next.value, { stream: true });
  }
  const tail = decoder.decode();
  if (tail !== '') yield tail;
}

/** The lines of each chunk of a text stream, refusing a line longer than `maxLineChars` before it is held whole. */
async function* lineChunks(chunks: AsyncIterable<string>, maxLineChars: number): AsyncGenerator<string[]> {
  let partial = '';
  for await (const chunk of chunks) {
    const lines: string[] = [];
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl !== -1; nl = chunk.indexOf('\n', start)) {
      lines.push(partial + chunk.slice(start, nl));
      partial = '';
      start = nl + 1;
    }
    partial += chunk.slice(start);
    if (lines.length > 0) yield lines;
    if (partial.length > maxLineChars) {
      throw new DetourwatchError(
        'INPUT_TOO_LARGE',
        `a line is longer than ${maxLineChars} characters; no single trace is that large`,
      );
    }
  }
  if (partial !== '') yield [partial];
}

function looksLikeOneObject(line: string): boolean {
  const t = line.trim();
  return t.startsWith('{') && t.endsWith('}');
}

function itemsOf(parse: () => Trace[], where: string): TraceItem[] {
  try {
    return parse().map((trace) => ({ trace, where }));
  } catch (err) {
    return [{ error: asError(err), where }];
  }
}

/** How each line of an input read line by line is parsed. */
export function lineFormatOf(format: TraceFormat): LineFormat {
  return format === 'auto' || format === 'atlas' || format === 'scamper' ? format : 'auto';
}

/** The traces of one NDJSON line (none for a blank line), or why it gave none. */
export function lineItems(
  line: string,
  lineNumber: number,
  format: LineFormat,
  limits: ParseLimits = DEFAULT_LIMITS,
): TraceItem[] {
  return itemsOf(() => parseTraceLine(line, format, { limits, lineNumber }), `line ${lineNumber}`);
}

/** The whole of a binary input, within the input limit. */
async function wholeBytes(head: Buffer, rest: AsyncIterator<Buffer>, limits: ParseLimits): Promise<Buffer> {
  const parts = [head];
  let size = head.length;
  for (let next = await rest.next(); !next.done; next = await rest.next()) {
    size += next.value.length;
    if (size > limits.maxInputChars) {
      throw new DetourwatchError(
        'INPUT_TOO_LARGE',
        `the warts file is larger than ${limits.maxInputChars} bytes; split it with scamper's sc_wartscat`,
      );
    }
    parts.push(next.value);
  }
  return Buffer.concat(parts, size);
}

export interface ReadOptions {
  /** Lines of one NDJSON piece at most (LINES_PER_PIECE). */
  linesPerPiece?: number;
  /** How warts files become scamper JSON: sc_warts2json unless a caller supplies another converter. */
  convertWarts?: WartsConverter;
}

/**
 * The input in pieces, in order. A warts file (its first bytes 0x12 0x05, or `format` warts) is converted and
 * parsed whole. Otherwise the first non-blank line decides: a JSON object on it means NDJSON (later lines come
 * back unparsed, at most `linesPerPiece` per piece); anything else means one document, read whole. Errors of
 * content come back as items; I/O errors of the stream itself, and inputs over the limits, are thrown.
 */
export async function* readTraceInput(
  stream: Readable,
  format: TraceFormat,
  limits: ParseLimits = DEFAULT_LIMITS,
  options: ReadOptions = {},
): AsyncGenerator<InputPiece> {
  const linesPerPiece = options.linesPerPiece ?? LINES_PER_PIECE;
  const bytes = byteChunks(stream);
  let head: Buffer = Buffer.alloc(0);
  while (head.length < 2) {
    const next = await bytes.next();
    if (next.done) break;
    head = head.length === 0 ? next.value : Buffer.concat([head, next.value]);
  }
  if (format === 'warts' || isWarts(head)) {
    const whole = await wholeBytes(head, bytes, limits);
    const convert = options.convertWarts ?? wartsToJson;
    let items: TraceItem[];
    try {
      items = (await parseWartsBytes(whole, limits, convert)).map((trace) => ({ trace, where: 'input' }));
    } catch (err) {
      items = [{ error: asError(err), where: 'input' }];
    }
    yield { items };
    return;
  }
  const lineFormat = lineFormatOf(format);
  const whole: string[] = [];
  let wholeChars = 0;
  const lineWise = format === 'auto' || format === 'atlas' || format === 'scamper';
  let mode: 'undecided' | 'lines' | 'whole' = lineWise ? 'undecided' : 'whole';
  let lineNumber = 0;
  for await (const chunk of lineChunks(textChunks(head, bytes), limits.maxJsonChars)) {
    let next = 0;
    while (mode === 'undecided' && next < chunk.length) {
      const line = chunk[next++] as string;
      lineNumber++;
      if (line.trim() === '') continue;
      const items = lineItems(line, lineNumber, lineFormat, limits);
      const failure = items.find((i) => 'error' in i);
      // A pretty-printed document or text, or mtr's JSON on one line: read it whole, this line included.
      if (failure && (!looksLikeOneObject(line) || ('error' in failure && failure.error.code === 'USAGE'))) {
        mode = 'whole';
        whole.push(line);
        wholeChars = line.length + 1;
        break;
      }
      // One broken object on the first line still means NDJSON: that line's error, then the others.
      mode = 'lines';
      yield { items };
    }
    if (mode === 'whole') {
      for (; next < chunk.length; next++) {
        const line = chunk[next] as string;
        lineNumber++;
        wholeChars += line.length + 1;
        if (wholeChars > limits.maxInputChars) {
          throw new DetourwatchError(
            'INPUT_TOO_LARGE',
            `input is larger than ${limits.maxInputChars} characters; split it, or give NDJSON (one result per line)`,
          );
        }
        whole.push(line);
      }
      continue;
    }
    for (; next < chunk.length; next += linesPerPiece) {
      const lines = chunk.slice(next, next + linesPerPiece);
      yield { lines, firstLineNumber: lineNumber + 1 };
      lineNumber += lines.length;
    }
  }
  if (mode === 'whole') {
    yield { items: itemsOf(() => parseTraces(whole.join('\n'), format, { limits }), 'input') };
  } else if (mode === 'undecided') {
    yield {
      items: [
        {
          error: new DetourwatchError('INPUT_EMPTY', 'the input is empty: no trace to read'),
          where: 'input',
        },
      ],
    };
  }
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
  const lineFormat = lineFormatOf(format);
  for await (const piece of readTraceInput(stream, format, limits)) {
    if ('items' in piece) {
      yield* piece.items;
      continue;
    }
    for (let i = 0; i < piece.lines.length; i++) {
      yield* lineItems(piece.lines[i] as string, piece.firstLineNumber + i, lineFormat, limits);
    }
  }
}
