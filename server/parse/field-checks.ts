import { DetourwatchError } from '../../protocol/errors.ts';
import { MAX_NAME_CHARS } from './limits.ts';

/**
 * Type checks for fields of untrusted JSON. They return booleans so the hot paths build no strings;
 * the message (with the field's path) is only assembled by `fieldError` when a check fails.
 */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isInt(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

export function isNumberIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && value >= min && value <= max;
}

/** A host name or other short label the tool printed: bounded and free of control characters. */
export function isName(value: unknown): value is string {
  return typeof value === 'string' && isShortText(value);
}

export function isShortText(text: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  return text.length <= MAX_NAME_CHARS && !/[\u0000-\u001f\u007f]/.test(text);
}

/** A short rendering of a bad value for an error message, never the whole (possibly huge) input. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    // Nesting deeper than the stack (`[[[[...]]]]` in a 64 KiB input) overflows JSON.stringify, and String()
    // recurses the same way: name the kind of value instead.
    text = Array.isArray(value)
      ? '[...]'
      : typeof value === 'object' && value !== null
        ? '{...}'
        : String(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** `where` names the input position (e.g. "RIPE Atlas result on line 3"); `path` the field inside it. */
export function fieldError(where: string, path: string, expected: string, got: unknown): DetourwatchError {
  return new DetourwatchError(
    'PARSE_FAILED',
    `${where}: ${path} must be ${expected}, got ${describeValue(got)}`,
  );
}

export function parseError(where: string, message: string): DetourwatchError {
  return new DetourwatchError('PARSE_FAILED', `${where}: ${message}`);
}

/** ISO 8601 for Unix seconds (plus optional microseconds), or null when the value cannot be a time. */
export function isoFromUnix(seconds: unknown, micros: unknown = 0): string | null {
  // 0 .. 9999-12-31: anything else is not a measurement time.
  if (!isInt(seconds, 0, 253_402_300_799) || !isInt(micros, 0, 999_999)) return null;
  return new Date(seconds * 1000 + Math.floor(micros / 1000)).toISOString();
}
