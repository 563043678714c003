import { badValue, quote } from './quote.ts';

/** The one duration grammar of every flag, variable and query parameter: a whole number and a unit. */
export const DURATION_UNITS = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
} as const;

type Unit = keyof typeof DURATION_UNITS;

const DURATION = /^(\d{1,15})(ms|s|m|h|d|w)$/;
const FORMS = 'a whole number and a unit: 500ms, 90s, 15m, 2h, 1d, 2w';

/** Milliseconds, or null when `text` is not a duration; for parsers that try a duration among other forms. */
export function durationOrNull(text: string): number | null {
  const m = DURATION.exec(text.trim());
  if (!m) return null;
  const ms = Number(m[1]) * DURATION_UNITS[m[2] as Unit];
  return Number.isSafeInteger(ms) ? ms : null;
}

/** `500ms`, `90s`, `15m`, `2h`, `1d`, `2w` in milliseconds. A bare number is refused: seconds or minutes? */
export function parseDuration(text: string): number {
  const ms = durationOrNull(text);
  if (ms !== null) return ms;
  const t = text.trim();
  if (/^\d+$/.test(t)) throw badValue(`${quote(text)} has no unit: add one, e.g. ${t}s or ${t}m (${FORMS})`);
  throw badValue(`${quote(text)} is not a duration: use ${FORMS}`);
}

/** A duration within bounds (`max` absent: no upper bound). */
export function parseDurationIn(text: string, bounds: { min: number; max?: number }): number {
  const ms = parseDuration(text);
  if (ms < bounds.min) throw badValue(`${quote(text)} is shorter than ${formatDuration(bounds.min)}`);
  if (bounds.max !== undefined && ms > bounds.max) {
    throw badValue(`${quote(text)} is longer than ${formatDuration(bounds.max)}`);
  }
  return ms;
}

/** Milliseconds in the largest unit that divides them (900000 as `15m`), in the grammar parseDuration reads. */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = DURATION_UNITS[unit];
    if (ms !== 0 && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
