import { parseAsn } from './asn.ts';
import { COUNTRY_PATTERN, parseCountryCode } from './country.ts';
import { badValue, quote } from './quote.ts';

/** `--via CN` or `--via AS4134`: a country or an AS the path went through. */
export type Via = { country: string } | { asn: number };

export function parseVia(text: string): Via {
  const t = text.trim();
  if (new RegExp(COUNTRY_PATTERN).test(t)) return { country: parseCountryCode(t) };
  if (/^(AS)?\d+$/i.test(t)) return { asn: parseAsn(t) };
  throw badValue(`${quote(text)} is neither a country code (CN) nor an AS number (AS4134)`);
}
