import { isIPv4, isIPv6 } from 'node:net';
import type { AddressClass } from '../../protocol/annotated.ts';
import { DetourwatchError } from '../../protocol/errors.ts';
import type { IpVersion } from '../../protocol/trace.ts';

/** An address with its class, and the form a database should be asked about (IPv4-mapped IPv6 becomes IPv4). */
export interface InspectedAddress {
  class: AddressClass;
  version: IpVersion;
  lookupAddress: string;
}

interface V4Range {
  base: number;
  bits: number;
  class: AddressClass;
}

interface V6Range {
  /** The prefix's leading 16-bit groups (every prefix below is /48 or shorter). */
  groups: readonly number[];
  bits: number;
  class: AddressClass;
}

function v4(text: string, bits: number, cls: AddressClass): V4Range {
  return { base: parseV4(text) ?? 0, bits, class: cls };
}

/**
 * Non-global IPv4 space (IANA special-purpose registry, RFC 6890 and successors). First match wins, so the
 * more specific entries come first. 192.0.0.0/24 holds protocol assignments (DS-Lite, NAT64 discovery).
 */
const V4_RANGES: readonly V4Range[] = [
  v4('0.0.0.0', 32, 'unspecified'),
  v4('0.0.0.0', 8, 'reserved'),
  v4('10.0.0.0', 8, 'private'),
  v4('100.64.0.0', 10, 'cgnat'),
  v4('127.0.0.0', 8, 'loopback'),
  v4('169.254.0.0', 16, 'link-local'),
  v4('172.16.0.0', 12, 'private'),
  v4('192.0.0.0', 24, 'reserved'),
  v4('192.0.2.0', 24, 'documentation'),
  v4('192.168.0.0', 16, 'private'),
  v4('198.18.0.0', 15, 'benchmarking'),
  v4('198.51.100.0', 24, 'documentation'),
  v4('203.0.113.0', 24, 'documentation'),
  v4('224.0.0.0', 4, 'multicast'),
  // Class E and the limited broadcast address 255.255.255.255.
  v4('240.0.0.0', 4, 'reserved'),
];

/**
 * Non-global IPv6 space outside ::/64 (which is handled apart: unspecified, loopback, IPv4-mapped).
 * Anything outside 2000::/3 that is not listed is unallocated and counts as reserved.
 */
const V6_RANGES: readonly V6Range[] = [
  { groups: [0x2001, 0x0002, 0, 0], bits: 48, class: 'benchmarking' },
  // ORCHID (deprecated) and ORCHIDv2: identifiers, not routable locators.
  { groups: [0x2001, 0x0010, 0, 0], bits: 28, class: 'reserved' },
  { groups: [0x2001, 0x0020, 0, 0], bits: 28, class: 'reserved' },
  { groups: [0x2001, 0x0db8, 0, 0], bits: 32, class: 'documentation' },
  { groups: [0x3fff, 0, 0, 0], bits: 20, class: 'documentation' },
  // 64:ff9b::/96 and 64:ff9b:1::/48 (NAT64): a hop there is a translator, not the IPv4 host it names.
  { groups: [0x0064, 0xff9b, 0, 0], bits: 32, class: 'reserved' },
  { groups: [0xfc00, 0, 0, 0], bits: 7, class: 'private' },
  { groups: [0xfe80, 0, 0, 0], bits: 10, class: 'link-local' },
  { groups: [0xff00, 0, 0, 0], bits: 8, class: 'multicast' },
];

/** Parses dotted-quad IPv4 into an unsigned 32-bit number; null when it is not one. */
export function parseV4(text: string): number | null {
  if (!isIPv4(text)) return null;
  let value = 0;
  for (const part of text.split('.')) value = value * 256 + Number(part);
  return value;
}

/** Parses IPv6 (zone index allowed) into eight 16-bit groups; null when it is not IPv6. */
export function parseV6(text: string): number[] | null {
  if (!isIPv6(text)) return null;
  // isIPv6 has vetted the syntax, so this scan only has to split groups and find "::".
  const zone = text.indexOf('%');
  const end = zone === -1 ? text.length : zone;
  const groups: number[] = [];
  let gap = -1;
  let i = 0;
  if (text.charCodeAt(0) === 58 && text.charCodeAt(1) === 58) {
    gap = 0;
    i = 2;
  }
  while (i < end) {
    let j = i;
    let value = 0;
    for (; j < end; j++) {
      const c = text.charCodeAt(j);
      if (c === 58 || c === 46) break;
      value = value * 16 + (c <= 57 ? c - 48 : (c | 32) - 87);
    }
    if (text.charCodeAt(j) === 46) {
      // A dotted IPv4 tail (::ffff:1.2.3.4) fills the last two groups.
      const quad = parseV4(text.slice(i, end)) ?? 0;
      groups.push(Math.floor(quad / 65536), quad % 65536);
      break;
    }
    groups.push(value);
    if (j >= end) break;
    if (text.charCodeAt(j + 1) === 58) {
      gap = groups.length;
      i = j + 2;
    } else i = j + 1;
  }
  if (gap !== -1) groups.splice(gap, 0, ...new Array<number>(8 - groups.length).fill(0));
  return groups;
}

function inV6Range(groups: readonly number[], range: V6Range): boolean {
  let bits = range.bits;
  for (let i = 0; bits > 0; i++, bits -= 16) {
    const mask = bits >= 16 ? 0xffff : (0xffff << (16 - bits)) & 0xffff;
    if (((groups[i] ?? 0) & mask) !== ((range.groups[i] ?? 0) & mask)) return false;
  }
  return true;
}

function classifyV4(value: number): AddressClass {
  for (const range of V4_RANGES) {
    const size = 2 ** (32 - range.bits);
    if (value - (value % size) === range.base) return range.class;
  }
  return 'global';
}

function invalid(text: string): DetourwatchError {
  const shown = text.length > 60 ? `${text.slice(0, 60)}...` : text;
  return new DetourwatchError('PARSE_FAILED', `"${shown}" is not an IPv4 or IPv6 address`);
}

/** Classifies an address and says what to look up; throws DetourwatchError for text that is not an address. */
export function inspectAddress(text: string): InspectedAddress {
  const quad = parseV4(text);
  if (quad !== null) return { class: classifyV4(quad), version: 4, lookupAddress: text };
  const groups = parseV6(text);
  if (groups === null) throw invalid(text);
  if (groups.slice(0, 4).every((g) => g === 0)) {
    const [, , , , g4 = 0, g5 = 0, g6 = 0, g7 = 0] = groups;
    // ::ffff:a.b.c.d is an IPv4 host seen through an IPv6 socket: judge (and look up) the IPv4 address.
    if (g4 === 0 && g5 === 0xffff) {
      const mapped = `${g6 >> 8}.${g6 & 0xff}.${g7 >> 8}.${g7 & 0xff}`;
      return { class: classifyV4(parseV4(mapped) ?? 0), version: 4, lookupAddress: mapped };
    }
    const zeroUpTo7 = g4 === 0 && g5 === 0 && g6 === 0;
    if (zeroUpTo7 && g7 === 0) return { class: 'unspecified', version: 6, lookupAddress: text };
    if (zeroUpTo7 && g7 === 1) return { class: 'loopback', version: 6, lookupAddress: text };
    return { class: 'reserved', version: 6, lookupAddress: text };
  }
  for (const range of V6_RANGES) {
    if (inV6Range(groups, range)) return { class: range.class, version: 6, lookupAddress: text };
  }
  // Only 2000::/3 is allocated as global unicast.
  const cls: AddressClass = ((groups[0] ?? 0) & 0xe000) === 0x2000 ? 'global' : 'reserved';
  return { class: cls, version: 6, lookupAddress: text };
}

/** The class of an address (see AddressClass); throws DetourwatchError('PARSE_FAILED') for non-addresses. */
export function classifyAddress(text: string): AddressClass {
  return inspectAddress(text).class;
}
