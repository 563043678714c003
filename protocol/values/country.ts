import { badValue, quote } from './quote.ts';

/** The shape of an ISO 3166-1 alpha-2 code as typed (either case); also the OpenAPI pattern. */
export const COUNTRY_PATTERN = '^[A-Za-z]{2}$';
const COUNTRY = new RegExp(COUNTRY_PATTERN);

/**
 * An ISO 3166-1 alpha-2 code, upper-cased. Only the shape is checked: the databases also use codes outside
 * the assigned list (EU, XK), and a filter on one of them must still work.
 */
export function parseCountryCode(text: string): string {
  const t = text.trim();
  if (!COUNTRY.test(t)) {
    throw badValue(`${quote(text)} is not a country code: use ISO 3166-1 alpha-2, such as US or CN`);
  }
  return t.toUpperCase();
}

/** `US,PR,GU`: country codes separated by commas, upper-cased, each once, in the order given. */
export function parseCountryList(text: string): string[] {
  const items = text.split(',').map((item) => item.trim());
  if (items.every((item) => item === '')) {
    throw badValue(`${quote(text)} holds no country: give codes separated by commas, such as US,PR,GU`);
  }
  const codes: string[] = [];
  for (const item of items) {
    if (item === '') throw badValue(`${quote(text)} has an empty item: give codes separated by commas`);
    const code = parseCountryCode(item);
    if (!codes.includes(code)) codes.push(code);
  }
  return codes;
}
