import { DetourwatchError } from '../../protocol/errors.ts';
import { forEachLine } from './input-text.ts';
import type { ParseLimits } from './limits.ts';

export interface JsonRecord {
  value: unknown;
  /** 1-based line the value was on; 1 for a whole-document input. */
  line: number;
}

export interface JsonInput {
  records: JsonRecord[];
  /** Physical lines in the input (a final newline does not count as starting one). */
  lineCount: number;
  /** True when the input was one JSON document (possibly pretty-printed), not one value per line. */
  document: boolean;
}

/** JSON.parse with the bound checked first and a message that says where the input broke. */
export function parseJsonText(text: string, where: string, limits: ParseLimits): unknown {
  if (text.length > limits.maxJsonChars) {
    throw new DetourwatchError(
      'INPUT_TOO_LARGE',
      `${where} is ${text.length} characters of JSON, more than the limit of ${limits.maxJsonChars}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new DetourwatchError(
      'PARSE_FAILED',
      `${where} is not valid JSON (${reason}); is the file truncated?`,
    );
  }
}

/**
 * Reads either NDJSON (one value per line: Atlas `format=txt` downloads, scamper `-O json`) or one JSON
 * document (mtr's pretty-printed report, an Atlas API array). The first non-blank line decides: if it is
 * a complete JSON value the input is NDJSON, otherwise the whole text must be one document.
 */
export function readJsonInput(text: string, limits: ParseLimits): JsonInput {
  let firstLine = 1;
  let offset = 0;
  let end = text.indexOf('\n');
  // Skip leading blank lines to find the first value.
  while (end !== -1 && text.slice(offset, end).trim() === '') {
    offset = end + 1;
    firstLine++;
    end = text.indexOf('\n', offset);
  }
  if (end === -1 || text.slice(end).trim() === '') {
    const value = parseJsonText(text, 'the JSON input', limits);
    return { records: [{ value, line: firstLine }], lineCount: countLines(text), document: true };
  }
  const firstText = text.slice(offset, end);
  if (firstText.length > limits.maxJsonChars) {
    throw new DetourwatchError(
      'INPUT_TOO_LARGE',
      `line ${firstLine} is ${firstText.length} characters, more than the limit of ${limits.maxJsonChars} for one JSON value`,
    );
  }
  let first: unknown;
  try {
    first = JSON.parse(firstText);
  } catch {
    // A line that opens and closes an object was meant as one NDJSON value: report that line.
    const trimmed = firstText.trim();
    if (trimmed.startsWith('{') && trimmed.endsWith('}')) parseJsonText(trimmed, `line ${firstLine}`, limits);
    // Otherwise not a value on its own: a pretty-printed document, or broken input (then this fails too).
    const value = parseJsonText(text, 'the JSON input', limits);
    return { records: [{ value, line: firstLine }], lineCount: countLines(text), document: true };
  }
  const records: JsonRecord[] = [{ value: first, line: firstLine }];
  const lineCount = forEachLine(text, (line, lineNumber) => {
    if (lineNumber <= firstLine || line.trim() === '') return;
    records.push({ value: parseJsonText(line, `line ${lineNumber}`, limits), line: lineNumber });
  });
  return { records, lineCount, document: false };
}

function countLines(text: string): number {
  return forEachLine(text, () => {});
}
