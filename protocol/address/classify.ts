import type { AddressClass } from '../annotated.ts';
import { DetourwatchError } from '../errors.ts';
import type { IpVersion } from '../trace.ts';
import { formatV4, formatV6, mappedV4, readIp, v4At } from './parse.ts';

/**
 * IPv6 forms that carry an IPv4 address. Each is judged by the IPv4 address it reaches, so a special IPv4
 * address cannot pass as a target, nor be looked up in a database, dressed up as IPv6.
 */
export const EMBEDDING_FORMS = ['ipv4-mapped', 'ipv4-compatible', '6to4', 'teredo', 'nat64'] as const;
export type EmbeddingForm = (typeof EMBEDDING_FORMS)[number];

const FORM_NAMES: Record<EmbeddingForm, string> = {
  'ipv4-mapped': 'IPv4-mapped',
  'ipv4-compatible': 'IPv4-compatible (deprecated)',
  '6to4': '6to4',
  teredo: 'Teredo',
  nat64: 'NAT64',
};

/** An address with its class, and the form a database should be asked about. */
export interface InspectedAddress {
  class: AddressClass;
  /** The version of `lookupAddress`. */
  version: IpVersion;
  /** Canonical text of the address a database should be asked about: the IPv4 address an embedding form reaches. */
  lookupAddress: string;
  /** Present when the address carries an IPv4 address: the form, and the IPv4 address that decided the class. */
  embedded?: { form: EmbeddingForm; address: string };
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

function v4(a: number, b: number, c: number, d: number, bits: number, cls: AddressClass): V4Range {
  return { base: ((a << 24) | (b << 16) | (c << 8) | d) >>> 0, bits, class: cls };
}

/**
 * Non-global IPv4 space (IANA special-purpose registry, RFC 6890 and successors). First match wins, so the
 * more specific entries come first. 192.0.0.0/24 holds protocol assignments (DS-Lite, NAT64 discovery).
 */
const V4_RANGES: readonly V4Range[] = [
  v4(0, 0, 0, 0, 32, 'unspecified'),
  v4(0, 0, 0, 0, 8, 'reserved'),
  v4(10, 0, 0, 0, 8, 'private'),
  v4(100, 64, 0, 0, 10, 'cgnat'),
  v4(127, 0, 0, 0, 8, 'loopback'),
  v4(169, 254, 0, 0, 16, 'link-local'),
  v4(172, 16, 0, 0, 12, 'private'),
  v4(192, 0, 0, 0, 24, 'reserved'),
  v4(192, 0, 2, 0, 24, 'documentation'),
  v4(192, 168, 0, 0, 16, 'private'),
  v4(198, 18, 0, 0, 15, 'benchmarking'),
  v4(198, 51, 100, 0, 24, 'documentation'),
  v4(203, 0, 113, 0, 24, 'documentation'),
  v4(224, 0, 0, 0, 4, 'multicast'),
  // Class E and the limited broadcast address 255.255.255.255.
  v4(240, 0, 0, 0, 4, 'reserved'),
];

/**
 * Non-global IPv6 space outside ::/64 and the embedding forms (handled apart, see inspectAddress).
 * Anything outside 2000::/3 that is not listed is unallocated and counts as reserved.
 */
const V6_RANGES: readonly V6Range[] = [
  { groups: [0x2001, 0x0002, 0], bits: 48, class: 'benchmarking' },
  // ORCHID (deprecated) and ORCHIDv2: identifiers, not routable locators.
  { groups: [0x2001, 0x0010], bits: 28, class: 'reserved' },
  { groups: [0x2001, 0x0020], bits: 28, class: 'reserved' },
  { groups: [0x2001, 0x0db8], bits: 32, class: 'documentation' },
  { groups: [0x3fff], bits: 20, class: 'documentation' },
  // The rest of 64:ff9b::/32 beside the NAT64 prefixes (64:ff9b::/96, 64:ff9b:1::/48) is unassigned.
  { groups: [0x0064, 0xff9b], bits: 32, class: 'reserved' },
  { groups: [0xfc00], bits: 7, class: 'private' },
  { groups: [0xfe80], bits: 10, class: 'link-local' },
  { groups: [0xff00], bits: 8, class: 'multicast' },
];

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

function allZero(groups: readonly number[], from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (groups[i] !== 0) return false;
  return true;
}

/** Judged as the IPv4 address `value`; `cls` overrides its class (a form that reaches nothing). */
function viaV4(form: EmbeddingForm, value: number, cls = classifyV4(value)): InspectedAddress {
  const address = formatV4(value);
  return { class: cls, version: 4, lookupAddress: address, embedded: { form, address } };
}

/** The IPv4 address an IPv6 address carries, judged as that address; null when it carries none. */
function embeddedV4(g: readonly number[]): InspectedAddress | null {
  const mapped = mappedV4(g);
  // ::ffff:a.b.c.d is an IPv4 host seen through an IPv6 socket.
  if (mapped !== null) return viaV4('ipv4-mapped', mapped);
  if (allZero(g, 0, 6) && g[6] !== 0) {
    // ::a.b.c.d (RFC 4291 2.5.5.1, deprecated): no stack routes it any more, so it reaches nothing, and a
    // special IPv4 address inside is named as what it is.
    const value = v4At(g, 6);
    const cls = classifyV4(value);
    return viaV4('ipv4-compatible', value, cls === 'global' ? 'reserved' : cls);
  }
  if (g[0] === 0x2002) return viaV4('6to4', v4At(g, 1)); // RFC 3056: 2002:V4ADDR::/48
  if (g[0] === 0x2001 && g[1] === 0) {
    // RFC 4380: 2001:0:SERVER:flags:port:CLIENT, the client's (its NAT's) public address inverted. Packets
    // go to the client; a special server address makes the address bogus just the same.
    const client = viaV4('teredo', ~v4At(g, 6) >>> 0);
    const server = viaV4('teredo', v4At(g, 2));
    return client.class === 'global' && server.class !== 'global' ? server : client;
  }
  if (g[0] === 0x64 && g[1] === 0xff9b) {
    // RFC 6052: the well-known prefix 64:ff9b::/96 carries the IPv4 address in its last 32 bits.
    if (allZero(g, 2, 6)) return viaV4('nat64', v4At(g, 6));
    // RFC 8215: 64:ff9b:1::/48 is for one network's own translator, whose prefix length (and so where the
    // IPv4 address sits) only that network knows. A special address in the usual /96 place is named; any
    // other is judged reserved, since nobody outside that network can say what it reaches.
    if (g[2] === 1) {
      const value = v4At(g, 6);
      const cls = classifyV4(value);
      return viaV4('nat64', value, cls === 'global' ? 'reserved' : cls);
    }
  }
  return null;
}

function invalid(text: string): DetourwatchError {
  const shown = text.length > 60 ? `${text.slice(0, 60)}...` : text;
  return new DetourwatchError('PARSE_FAILED', `"${shown}" is not an IPv4 or IPv6 address`);
}

/**
 * Classifies an address and says what to look up; throws DetourwatchError('PARSE_FAILED') for text that is
 * not an address. A zone (`fe80::1%eth0`) is ignored here: it names an interface, not a different host.
 */
export function inspectAddress(text: string): InspectedAddress {
  const ip = readIp(text);
  if (ip === null) throw invalid(text);
  if (ip.version === 4) return { class: classifyV4(ip.value), version: 4, lookupAddress: formatV4(ip.value) };
  const g = ip.groups;
  const embedded = embeddedV4(g);
  if (embedded !== null) return embedded;
  const own = (cls: AddressClass): InspectedAddress => ({
    class: cls,
    version: 6,
    lookupAddress: formatV6(g),
  });
  if (allZero(g, 0, 4)) {
    if (allZero(g, 4, 7) && g[7] === 0) return own('unspecified');
    if (allZero(g, 4, 7) && g[7] === 1) return own('loopback');
    // The rest of ::/64 (IPv4-translated ::ffff:0:0:0/96 among them) is not routed on the Internet.
    return own('reserved');
  }
  for (const range of V6_RANGES) if (inV6Range(g, range)) return own(range.class);
  // Only 2000::/3 is allocated as global unicast.
  return own(((g[0] ?? 0) & 0xe000) === 0x2000 ? 'global' : 'reserved');
}

/** The class of an address (see AddressClass); throws DetourwatchError('PARSE_FAILED') for non-addresses. */
export function classifyAddress(text: string): AddressClass {
  return inspectAddress(text).class;
}

/**
 * A sentence saying what an address is, naming the IPv4 address inside an embedding form:
 * "10.0.0.1 is private", "2002:a00:1::1 is private: 6to4 carrying 10.0.0.1".
 */
export function describeAddress(text: string): string {
  const inspected = inspectAddress(text);
  const { embedded } = inspected;
  const what = `${text} is ${inspected.class}`;
  return embedded === undefined ? what : `${what}: ${FORM_NAMES[embedded.form]} carrying ${embedded.address}`;
}
