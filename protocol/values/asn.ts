import { badValue, quote } from './quote.ts';

export const MAX_ASN = 4_294_967_295;
/** `4134` or `AS4134` (either case); also the OpenAPI pattern. */
export const ASN_PATTERN = '^([Aa][Ss])?[0-9]{1,10}$';
const ASN = new RegExp(ASN_PATTERN);

/** An autonomous system number, 1..4294967295 (32 bits; 0 is reserved). */
export function parseAsn(text: string): number {
  const t = text.trim();
  const asn = ASN.test(t) ? Number(t.replace(/^as/i, '')) : Number.NaN;
  if (!(asn >= 1 && asn <= MAX_ASN)) {
    throw badValue(`${quote(text)} is not an AS number: use 4134 or AS4134 (1 to ${MAX_ASN})`);
  }
  return asn;
}
