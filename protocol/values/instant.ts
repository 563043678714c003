import { parseRfc3339 } from '../time.ts';
import { durationOrNull } from './duration.ts';
import { badValue, quote } from './quote.ts';

/** ISO 8601 as operators type it: a date, or a date and time, with seconds, a fraction and an offset optional. */
const ISO = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2})(:\d{2}(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/**
 * An instant as epoch ms: ISO 8601 (a date, or a date and time; a time without an offset is UTC), or a
 * duration back from `now` (`7d` = seven days ago). The date is completed to RFC 3339 and read by the one
 * strict time reader, so February 30 is refused rather than read as March 1.
 */
export function parseInstant(text: string, now: number): number {
  const t = text.trim();
  const ago = durationOrNull(t);
  if (ago !== null) return now - ago;
  const m = ISO.exec(t);
  const ms = m ? parseRfc3339(`${m[1]}T${m[2] ?? '00:00'}${m[3] ?? ':00'}${m[4] ?? 'Z'}`) : null;
  if (ms === null) {
    throw badValue(
      `${quote(text)} is not a time: use ISO 8601 (2024-05-01 or 2024-05-01T12:00:00Z) or a duration ago (30m, 12h, 7d, 2w)`,
    );
  }
  return ms;
}
