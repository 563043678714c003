/**
 * Makes many distinct traces out of a few recorded ones: every IP address in the text gets its host part
 * shifted by `variant` (the last octet of an IPv4 address, the last group of an IPv6 address), so each
 * variant has addresses the geolocation caches have not seen, while the network, and so the location and
 * AS a database gives, stays that of the recorded address. Loopback and unspecified addresses are left as
 * they are (a recorded 127.0.0.1 must stay loopback). Variant 0 is the recording itself.
 */
import { isIPv4, isIPv6 } from 'node:net';

const IPV4 = /\b(\d{1,3}\.\d{1,3}\.\d{1,3})\.(\d{1,3})\b/g;
/** Candidates only; isIPv6 decides. Requires two colons so "12:34" times are never touched. */
const IPV6 = /(?<![0-9A-Za-z:])([0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7})(?![0-9A-Za-z:.])/g;

function varyV4(address: string, network: string, host: string, variant: number): string {
  if (!isIPv4(address) || network.startsWith('127.') || address === '0.0.0.0') return address;
  // 1..254: never the network's .0 nor its broadcast .255.
  return `${network}.${((((Number(host) - 1 + variant) % 254) + 254) % 254) + 1}`;
}

function varyV6(address: string, variant: number): string {
  if (!isIPv6(address) || address === '::1' || address === '::') return address;
  const cut = address.lastIndexOf(':');
  const last = address.slice(cut + 1);
  const value = last === '' ? 0 : Number.parseInt(last, 16);
  const next = ((value + variant) % 0xfffe) + 1;
  return `${address.slice(0, cut + 1)}${next.toString(16)}`;
}

export function varyAddresses(text: string, variant: number): string {
  if (variant === 0) return text;
  return text
    .replace(IPV4, (address, network: string, host: string) => varyV4(address, network, host, variant))
    .replace(IPV6, (address: string) => varyV6(address, variant));
}
