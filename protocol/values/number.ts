import { badValue, quote } from './quote.ts';

/** A whole number from `min` to `max`, written in decimal digits (no sign, exponent or fraction). */
export function parseIntIn(text: string, min: number, max: number): number {
  const t = text.trim();
  const n = /^\d{1,16}$/.test(t) ? Number(t) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw badValue(`${quote(text)} is not a whole number from ${min} to ${max}`);
  }
  return n;
}

/** A positive decimal number such as `100` or `66.7`. */
export function parsePositiveNumber(text: string): number {
  const t = text.trim();
  const n = /^\d+(\.\d+)?$/.test(t) ? Number(t) : Number.NaN;
  if (!(n > 0 && Number.isFinite(n))) throw badValue(`${quote(text)} is not a positive number`);
  return n;
}
