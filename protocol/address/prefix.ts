import { formatV4, formatV6, mappedV4, readIp } from './parse.ts';

/**
 * The network a destination sits in, as incidents group it: /24 for IPv4 and /48 for IPv6, the longest
 * prefixes commonly routed between networks, so a detour hitting one host of a customer's block and the
 * next host of the same block is one cause, not two. IPv4-mapped IPv6 counts as its IPv4 address; a zone
 * is ignored. Null when the text is not an IP address.
 */
export function destinationPrefix(address: string | null): string | null {
  if (address === null) return null;
  const ip = readIp(address);
  if (ip === null) return null;
  const v4 = ip.version === 4 ? ip.value : mappedV4(ip.groups);
  if (v4 !== null) return `${formatV4(v4 - (v4 % 256))}/24`;
  const [a = 0, b = 0, c = 0] = ip.version === 6 ? ip.groups : [];
  return `${formatV6([a, b, c, 0, 0, 0, 0, 0])}/48`;
}
