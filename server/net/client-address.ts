import { parseIp, readIp } from '../../protocol/address/parse.ts';
import { badValue, quote } from '../../protocol/values/quote.ts';

/** A network: its canonical base as bits and the prefix length; IPv4-mapped IPv6 is matched as IPv4. */
export interface Cidr {
  text: string;
  version: 4 | 6;
  bits: bigint;
  prefix: number;
}

function bitsOf(text: string): { version: 4 | 6; bits: bigint } | null {
  const canonical = parseIp(text);
  if (canonical === null) return null;
  const ip = readIp(canonical.address);
  if (ip === null) return null;
  if (ip.version === 4) return { version: 4, bits: BigInt(ip.value) };
  return { version: 6, bits: ip.groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n) };
}

/** `--trust-proxy` values: `ADDRESS/LEN` or a single address (a /32 or /128). */
export function parseCidr(text: string): Cidr {
  const [addressText = '', prefixText, ...rest] = text.trim().split('/');
  const ip = rest.length === 0 ? bitsOf(addressText) : null;
  if (ip === null) throw badValue(`${quote(text)} is not an address or ADDRESS/PREFIX network`);
  const max = ip.version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText ?? String(max)) || prefix > max) {
    throw badValue(`${quote(text)}: the prefix length must be 0 to ${max}`);
  }
  const width = BigInt(max);
  const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << (width - BigInt(prefix));
  return { text: text.trim(), version: ip.version, bits: ip.bits & mask, prefix };
}

export function inCidr(address: string, cidr: Cidr): boolean {
  const ip = bitsOf(address);
  if (ip === null || ip.version !== cidr.version) return false;
  const width = BigInt(cidr.version === 4 ? 32 : 128);
  const shift = width - BigInt(cidr.prefix);
  return ip.bits >> shift === cidr.bits >> shift;
}

/**
 * The client's address: the socket's peer, unless that peer is a trusted proxy; then X-Forwarded-For is read
 * from the right (each proxy appends the address it saw), skipping trusted proxies, and the first address
 * not trusted is the client. A header from a peer outside the trusted ranges is ignored: anyone can write one.
 * Null when the socket gives no address.
 */
export function clientAddress(
  peer: string | null | undefined,
  forwardedFor: string | null | undefined,
  trusted: readonly Cidr[],
): string | null {
  const socketAddress = peer ? (parseIp(peer)?.address ?? null) : null;
  if (socketAddress === null) return null;
  const isTrusted = (a: string) => trusted.some((c) => inCidr(a, c));
  if (trusted.length === 0 || !isTrusted(socketAddress) || !forwardedFor) return socketAddress;
  const hops = forwardedFor
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '');
  let client = socketAddress;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = parseIp(hops[i] ?? '')?.address ?? null;
    // A malformed entry ends what can be believed: the last trusted hop's view stands.
    if (hop === null) return client;
    client = hop;
    if (!isTrusted(hop)) return hop;
  }
  return client;
}
