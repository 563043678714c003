import { readIp } from '../../protocol/address/parse.ts';

/**
 * The reverse-zone name PTR records live under: 198.51.100.7 -> 7.100.51.198.in-addr.arpa, IPv6 as 32
 * nibbles under ip6.arpa. Null for text that is not an address. (node:dns `reverse` builds it too, but
 * reports a timeout as ENOTFOUND, so a server that never answers would look like an address without a name.)
 */
export function arpaName(address: string): string | null {
  const ip = readIp(address);
  if (ip === null) return null;
  if (ip.version === 4) {
    const v = ip.value;
    return `${v & 255}.${(v >>> 8) & 255}.${(v >>> 16) & 255}.${v >>> 24}.in-addr.arpa`;
  }
  const nibbles = ip.groups.map((g) => g.toString(16).padStart(4, '0')).join('');
  return `${[...nibbles].reverse().join('.')}.ip6.arpa`;
}
