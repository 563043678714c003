import type { IpVersion, ReplyFlag } from '../../protocol/trace.ts';

/** ICMPv4 destination-unreachable codes (RFC 792, RFC 1122, RFC 1812) by what they mean for a path. */
const UNREACHABLE_V4: readonly ReplyFlag[] = [
  'network-unreachable', // 0 net unreachable
  'host-unreachable', // 1 host unreachable
  'protocol-unreachable', // 2
  'port-unreachable', // 3
  'fragmentation-needed', // 4
  'source-route-failed', // 5
  'network-unreachable', // 6 destination network unknown
  'host-unreachable', // 7 destination host unknown
  'other', // 8 source host isolated
  'admin-prohibited', // 9 network administratively prohibited
  'admin-prohibited', // 10 host administratively prohibited
  'network-unreachable', // 11 network unreachable for TOS
  'host-unreachable', // 12 host unreachable for TOS
  'admin-prohibited', // 13 communication administratively prohibited
  'other', // 14 host precedence violation
  'other', // 15 precedence cutoff in effect
];

/** ICMPv6 destination-unreachable codes (RFC 4443). */
const UNREACHABLE_V6: readonly ReplyFlag[] = [
  'network-unreachable', // 0 no route to destination
  'admin-prohibited', // 1 administratively prohibited
  'other', // 2 beyond scope of source address
  'host-unreachable', // 3 address unreachable
  'port-unreachable', // 4
  'admin-prohibited', // 5 source address failed ingress/egress policy
  'admin-prohibited', // 6 reject route to destination
];

/** The flag for a destination-unreachable code, as traceroute's `!<n>` and Atlas numeric `err` give it. */
export function unreachableFlag(version: IpVersion, code: number): ReplyFlag {
  const table = version === 4 ? UNREACHABLE_V4 : UNREACHABLE_V6;
  return table[code] ?? 'other';
}

/**
 * The flag for an ICMP reply, or undefined for the two expected kinds: time exceeded (a router on the way)
 * and echo reply (the destination).
 */
export function icmpFlag(version: IpVersion, type: number, code: number): ReplyFlag | undefined {
  if (version === 4) {
    if (type === 11 || type === 0) return undefined;
    if (type === 3) return unreachableFlag(4, code);
    return 'other';
  }
  if (type === 3 || type === 129) return undefined;
  if (type === 1) return unreachableFlag(6, code);
  if (type === 2) return 'fragmentation-needed';
  return 'other';
}
