import { DetourwatchError } from '../errors.ts';

/** Untrusted text echoed in a message: quoted, short, and without control characters. */
export function quote(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return `"${clean.length > 40 ? `${clean.slice(0, 37)}...` : clean}"`;
}

/**
 * The complaint of a value parser. It names the value, not where it came from: the option reader prefixes
 * the flag or variable, the HTTP API the query parameter.
 */
export function badValue(message: string): DetourwatchError {
  return new DetourwatchError('USAGE', message);
}
