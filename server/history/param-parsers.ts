import type { Confidence, VerdictKind } from '../../protocol/verdict.ts';
import { parseIp } from '../parse/ip-address.ts';
import { ParameterError } from './parameter-error.ts';

/**
 * Parsers for the values operators type: in API query strings and on the command line. Each throws a
 * ParameterError naming the parameter and saying what would be accepted.
 */

const DURATION_UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `30m`, `12h`, `7d`, `2w` in milliseconds, or null when the text is not such a duration. */
export function parseDuration(text: string): number | null {
  const m = /^(\d{1,6})([mhdw])$/.exec(text);
  if (!m) return null;
  return Number(m[1]) * (DURATION_UNITS[m[2] as string] as number);
}

/**
 * An instant: ISO 8601 (a date, or a date and time; a time without an offset is UTC), or a duration back from
 * `now` (`7d` = seven days ago). Returns epoch ms.
 */
export function parseInstant(name: string, text: string, now: number): number {
  const ago = parseDuration(text);
  if (ago !== null) return now - ago;
  const iso = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/.exec(text);
  const ms = iso ? Date.parse(iso[1] !== undefined && iso[4] === undefined ? `${text}Z` : text) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new ParameterError(
      name,
      `"${clip(text)}" is not a time: use ISO 8601 (2024-05-01 or 2024-05-01T12:00:00Z) or a duration ago (30m, 12h, 7d, 2w)`,
    );
  }
  return ms;
}

export function parseCountry(name: string, text: string): string {
  if (!/^[A-Za-z]{2}$/.test(text)) {
    throw new ParameterError(
      name,
      `"${clip(text)}" is not a country: use an ISO 3166-1 alpha-2 code such as CN`,
    );
  }
  return text.toUpperCase();
}

export function parseAsn(name: string, text: string): number {
  const m = /^(?:AS)?(\d{1,10})$/i.exec(text);
  const asn = m ? Number(m[1]) : Number.NaN;
  if (!Number.isInteger(asn) || asn < 1 || asn > 4_294_967_295) {
    throw new ParameterError(name, `"${clip(text)}" is not an AS number: use 4134 or AS4134`);
  }
  return asn;
}

/** `--via CN` or `--via AS4134`: a country or an ASN the path went through. */
export type Via = { country: string } | { asn: number };

export function parseVia(name: string, text: string): Via {
  if (/^[A-Za-z]{2}$/.test(text)) return { country: text.toUpperCase() };
  if (/^(?:AS)?\d+$/i.test(text)) return { asn: parseAsn(name, text) };
  throw new ParameterError(name, `"${clip(text)}" is neither a country code (CN) nor an AS number (AS4134)`);
}

/** Agent ids are opaque, but printable and bounded so they fit a URL and a log line. */
export function parseAgentId(name: string, text: string): string {
  if (text.length === 0 || text.length > 128 || !/^[\x21-\x7e]+$/.test(text)) {
    throw new ParameterError(
      name,
      `"${clip(text)}" is not an agent id (printable, without spaces, at most 128 characters)`,
    );
  }
  return text;
}

/** A measurement target: an IP address (compared canonically) or a host name. */
export function parseTarget(name: string, text: string): string {
  const ip = parseIp(text);
  if (ip !== null) return ip.address;
  if (text.length <= 253 && /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9-]{1,63})*\.?$/.test(text)) {
    return text.toLowerCase();
  }
  throw new ParameterError(name, `"${clip(text)}" is neither an IP address nor a host name`);
}

export function parseChoice<T extends string>(name: string, text: string, choices: readonly T[]): T {
  if ((choices as readonly string[]).includes(text)) return text as T;
  throw new ParameterError(name, `"${clip(text)}" is not one of ${choices.join(', ')}`);
}

export function parseIntIn(name: string, text: string, min: number, max: number): number {
  const n = /^\d{1,16}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new ParameterError(name, `"${clip(text)}" is not a whole number from ${min} to ${max}`);
  }
  return n;
}

/** Untrusted text echoed in an error message: short, and without control characters. */
function clip(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  const clean = text.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > 40 ? `${clean.slice(0, 37)}...` : clean;
}
