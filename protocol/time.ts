/**
 * The one reader of time values that cross a trust boundary (the agent protocol, the API, the command line).
 * RFC 3339 date-times only, offset required: lenient readers such as `Date.parse` turn `' OR '1'='1` into
 * 2001-01-01 and `Dec 25` into a year of their own choosing.
 */

/** `2026-03-01T12:00:00Z`, `2026-03-01t12:00:00.123456+05:30`: RFC 3339 section 5.6 `date-time`. */
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

/** Longer than any RFC 3339 time with a nanosecond fraction: nothing to run a pattern over. */
const MAX_CHARS = 64;

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * Milliseconds since the epoch for an RFC 3339 date-time with `Z` or a numeric offset, or null for anything
 * else (no offset, a date alone, out-of-range fields such as February 30 or 24:00). A leap second (`:60`,
 * allowed only at 23:59 UTC) reads as the first millisecond after it; fractions beyond milliseconds are cut.
 */
export function parseRfc3339(text: string): number | null {
  if (typeof text !== 'string' || text.length > MAX_CHARS) return null;
  const m = DATE_TIME.exec(text);
  if (m === null) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 60) return null;
  let offsetMinutes = 0;
  if (m[8] !== undefined) {
    const offsetHour = Number(m[9]);
    const offsetMinute = Number(m[10]);
    if (offsetHour > 23 || offsetMinute > 59) return null;
    offsetMinutes = (m[8] === '-' ? -1 : 1) * (offsetHour * 60 + offsetMinute);
  }
  // RFC 3339 5.7: a leap second is the last second of a UTC day, whatever the local offset shows.
  if (second === 60 && (((hour * 60 + minute - offsetMinutes) % 1440) + 1440) % 1440 !== 1439) return null;
  const millis = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0-99 as 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millis);
  return date.getTime() - offsetMinutes * 60_000;
}

export function isRfc3339(text: string): boolean {
  return parseRfc3339(text) !== null;
}
