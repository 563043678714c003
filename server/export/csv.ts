/**
 * RFC 4180 CSV cells. Text that came from outside (organisation names, host names, agent names) may start
 * with `=`, `+`, `-`, `@`, tab or carriage return, which spreadsheets run as a formula ("CSV injection"): such
 * a cell is prefixed with an apostrophe, as OWASP recommends, so it is shown as text. Numbers are written as
 * numbers (a negative longitude stays numeric); every string cell is guarded, since no string column of an
 * export has a legitimate value starting with those characters.
 */
export type CsvValue = string | number | boolean | null;

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

export function csvCell(value: CsvValue): string {
  if (value === null) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One record, CRLF-terminated as RFC 4180 says. */
export function csvLine(values: readonly CsvValue[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}
