import { parseIp } from '../parse/ip-address.ts';

/**
 * The network a destination sits in, as incidents group it: /24 for IPv4 and /48 for IPv6, the longest
 * prefixes commonly routed between networks, so a detour hitting one host of a customer's block and the
 * next host of the same block is one cause, not two. Null when the address is not an IP address.
 */
export function destinationPrefix(address: string | null): string | null {
  if (address === null) return null;
  const ip = parseIp(address);
  if (ip === null) return null;
  if (ip.version === 4) {
    const [a, b, c] = ip.address.split('.');
    return `${a}.${b}.${c}.0/24`;
  }
  // Re-parsed so the prefix is spelled canonically too (2001:db8:0:: -> 2001:db8::).
  const network = parseIp(`${ipv6Groups(ip.address).slice(0, 3).join(':')}::`);
  return network === null ? null : `${network.address}/48`;
}

/** The eight groups of a canonical IPv6 address (lower-case hex without leading zeros). */
function ipv6Groups(canonical: string): string[] {
  const [head = '', tail] = canonical.split('::');
  const left = head === '' ? [] : head.split(':');
  if (tail === undefined) return left;
  const right = tail === '' ? [] : tail.split(':');
  return [...left, ...new Array<string>(8 - left.length - right.length).fill('0'), ...right];
}
