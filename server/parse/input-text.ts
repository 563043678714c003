import { DetourwatchError } from '../../protocol/errors.ts';
import type { ParseLimits } from './limits.ts';

/** How much of the input start is searched for signs of binary data. */
const BINARY_PROBE_CHARS = 4096;

/**
 * The checks every whole input gets before any parser sees it: empty, too large, binary. A warts file
 * (scamper's binary format, magic 0x1205) gets a message saying how to convert it.
 */
export function checkInputText(text: string, limits: ParseLimits): void {
  if (text.length > limits.maxInputChars) {
    throw new DetourwatchError(
      'INPUT_TOO_LARGE',
      `input is ${text.length} characters, more than the ${limits.maxInputChars} this call accepts; stream NDJSON (Atlas, scamper) line by line instead`,
    );
  }
  if (text.trim() === '')
    throw new DetourwatchError('INPUT_EMPTY', 'input is empty: there is no trace in it');
  if (text.charCodeAt(0) === 0x12 && text.charCodeAt(1) === 0x05) {
    throw new DetourwatchError(
      'PARSE_FAILED',
      'input is a scamper warts (binary) file; convert it with `sc_warts2json` or run scamper with `-O json`',
    );
  }
  const probe = text.length > BINARY_PROBE_CHARS ? text.slice(0, BINARY_PROBE_CHARS) : text;
  const nul = probe.indexOf('\u0000');
  const bad = nul === -1 ? probe.indexOf('\ufffd') : nul;
  if (bad !== -1) {
    throw new DetourwatchError(
      'PARSE_FAILED',
      `input is binary, not trace text (${nul === -1 ? 'invalid UTF-8' : 'a NUL byte'} at character ${bad})`,
    );
  }
}

/**
 * Calls `visit` for each line (without its `\n` or a trailing `\r`), numbered from 1. A final newline does
 * not start another line. Lines are sliced one at a time, so a huge input never becomes a huge array.
 */
export function forEachLine(text: string, visit: (line: string, lineNumber: number) => void): number {
  let start = 0;
  let lineNumber = 0;
  const n = text.length;
  while (start < n) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = n;
    lineNumber++;
    const stop = end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    visit(text.slice(start, stop), lineNumber);
    start = end + 1;
  }
  return lineNumber;
}

/** Strips a UTF-8 byte-order mark, which some editors and Windows tools put at the start of files. */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
