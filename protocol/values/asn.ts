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

/** `4134,AS4809`: AS numbers separated by commas, each once, in the order given. */
export function parseAsnList(text: string): number[] {
  const items = text.split(',').map((item) => item.trim());
  if (items.some((item) => item === '')) {
    throw badValue(
      `${quote(text)} is not a list of AS numbers: give them separated by commas, such as 4134,4809`,
    );
  }
  const asns: number[] = [];
  for (const item of items) {
    const asn = parseAsn(item);
    if (!asns.includes(asn)) asns.push(asn);
  }
  return asns;
}
