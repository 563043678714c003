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
      'input is a scamper warts (binary) file, and this reader takes text: `detourwatch analyze FILE` reads warts (with sc_warts2json from scamper), or convert it with `sc_warts2json FILE`',
    );
  }
  const probe = text.length > BINARY_PROBE_CHARS ? text.slice(0, BINARY_PROBE_CHARS) : text;
  const nul = probe.indexOf('\u0000');
  if (nul !== -1) {
    throw new DetourwatchError(
      'PARSE_FAILED',
      `input is binary, not trace text (a NUL byte at character ${nul}); a file saved as UTF-16 (PowerShell's \`>\`) must be given as the file itself, or saved as UTF-8`,
    );
  }
  // A few undecodable characters are text in another encoding (a German tracert saved from cmd.exe in code
  // page 850 writes "über" that way): the parsers read the rest. Many are binary.
  const bad = replacements(probe);
  if (bad.count > Math.max(8, probe.length / 50)) {
    throw new DetourwatchError(
      'PARSE_FAILED',
      `input is binary, not trace text (invalid UTF-8 from character ${bad.first}, ${bad.count} times in its first ${probe.length} characters)`,
    );
  }
}

function replacements(text: string): { count: number; first: number } {
  let count = 0;
  let first = -1;
  for (let i = text.indexOf('\ufffd'); i !== -1; i = text.indexOf('\ufffd', i + 1)) {
    if (first === -1) first = i;
    count++;
  }
  return { count, first };
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
