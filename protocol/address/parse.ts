import type { IpVersion } from '../trace.ts';

/**
 * The one reader of IP address text. Hand-written rather than node:net or a regex: it runs for every reply of
 * every imported trace, and web/ can use it in a browser.
 */

/** An address in canonical spelling. */
export interface ParsedIp {
  /** Canonical text: dotted quad, or RFC 5952 IPv6 (lower case, shortest form). */
  address: string;
  version: IpVersion;
}

/** An address read from text as numbers, before any choice of spelling. */
export type IpValue =
  /** `value`: the address as an unsigned 32-bit number. */
  | { version: 4; value: number }
  /** `groups`: eight 16-bit numbers, most significant first; `zone`: the `%eth0` suffix, null when absent. */
  | { version: 6; groups: number[]; zone: string | null };

/** Longer than any address with a zone an interface name can give; longer text is refused unread. */
const MAX_TEXT = 64;
// RFC 6874 lets a zone be any unreserved characters; interface names use these.
const ZONE = /^[0-9A-Za-z._~-]+$/;

/**
 * Reads IPv4 (strict dotted quad: no leading zeros, which some parsers read as octal) or IPv6 (with an
 * optional dotted IPv4 tail and an optional zone). Null for anything else, including surrounding whitespace.
 */
export function readIp(text: string): IpValue | null {
  const n = text.length;
  if (n === 0 || n > MAX_TEXT) return null;
  if (text.indexOf(':') === -1) {
    const value = readV4(text, 0, n);
    return value === null ? null : { version: 4, value };
  }
  const percent = text.indexOf('%');
  const zone = percent === -1 ? null : text.slice(percent + 1);
  if (zone !== null && !ZONE.test(zone)) return null;
  const groups = readV6(percent === -1 ? text : text.slice(0, percent));
  return groups === null ? null : { version: 6, groups, zone };
}

/** Dotted-quad IPv4 as an unsigned 32-bit number; null when the text is not one. */
export function parseV4(text: string): number | null {
  const ip = readIp(text);
  return ip?.version === 4 ? ip.value : null;
}

/** IPv6 (zone allowed) as eight 16-bit groups; null when the text is not IPv6. */
export function parseV6(text: string): number[] | null {
  const ip = readIp(text);
  return ip?.version === 6 ? ip.groups : null;
}

/**
 * Validates an address from untrusted tool output and returns it in one canonical spelling, so the same
 * router reported by different tools is the same string everywhere downstream. IPv4-mapped IPv6
 * (`::ffff:192.0.2.1`, which scamper prints for IPv4 traces on a dual-stack socket) becomes plain IPv4:
 * the packets were IPv4. A zone suffix (`fe80::1%eth0`) is dropped: it names a local interface, not a host.
 * Targets, which must not carry a zone, are checked with readIp instead (protocol/target.ts).
 */
export function parseIp(text: string): ParsedIp | null {
  const ip = readIp(text);
  if (ip === null) return null;
  if (ip.version === 4) return { address: formatV4(ip.value), version: 4 };
  const mapped = mappedV4(ip.groups);
  if (mapped !== null) return { address: formatV4(mapped), version: 4 };
  return { address: formatV6(ip.groups), version: 6 };
}

/** The IPv4 address of an IPv4-mapped IPv6 address (::ffff:0:0/96), else null. */
export function mappedV4(groups: readonly number[]): number | null {
  for (let i = 0; i < 5; i++) if (groups[i] !== 0) return null;
  return groups[5] === 0xffff ? v4At(groups, 6) : null;
}

/** The 32 bits starting at group `index` (0-6) as an unsigned number. */
export function v4At(groups: readonly number[], index: number): number {
  return (groups[index] ?? 0) * 65536 + (groups[index + 1] ?? 0);
}

export function formatV4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/** RFC 5952: lower case, no leading zeros, the longest run of two or more zero groups (the first on a tie) as `::`. */
export function formatV6(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLen = 1;
  for (let s = 0; s < 8; ) {
    if (groups[s] !== 0) {
      s++;
      continue;
    }
    let e = s;
    while (e < 8 && groups[e] === 0) e++;
    if (e - s > bestLen) {
      bestStart = s;
      bestLen = e - s;
    }
    s = e;
  }
  const hex = groups.map((v) => v.toString(16));
  return bestStart === -1
    ? hex.join(':')
    : `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Strict dotted quad between start and end: four decimal parts 0-255, no leading zeros. */
function readV4(text: string, start: number, end: number): number | null {
  let parts = 0;
  let digits = 0;
  let part = 0;
  let first = 0;
  let value = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || (digits > 1 && first === 48)) return null;
      parts++;
      value = value * 256 + part;
      digits = 0;
      part = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits === 0) first = c;
      part = part * 10 + (c - 48);
      digits++;
      if (part > 255) return null;
    } else {
      return null;
    }
  }
  if (digits === 0 || (digits > 1 && first === 48) || parts !== 3) return null;
  return value * 256 + part;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** IPv6 text without its zone as eight groups; null when it is not IPv6. */
function readV6(text: string): number[] | null {
  const groups: number[] = [];
  let gap = -1;
  let i = 0;
  const n = text.length;
  if (text.startsWith('::')) {
    gap = 0;
    i = 2;
  } else if (text.charCodeAt(0) === 58) {
    return null;
  }
  while (i < n) {
    const start = i;
    let value = 0;
    while (i < n && i - start < 5) {
      const h = hexValue(text.charCodeAt(i));
      if (h < 0) break;
      value = value * 16 + h;
      i++;
    }
    if (i < n && text.charCodeAt(i) === 46) {
      // A dotted IPv4 tail fills the last 32 bits (::ffff:192.0.2.1, 64:ff9b::192.0.2.1).
      const quad = groups.length > 6 ? null : readV4(text, start, n);
      if (quad === null) return null;
      groups.push(Math.floor(quad / 65536), quad % 65536);
      break;
    }
    const len = i - start;
    if (len === 0 || len > 4) return null;
    groups.push(value);
    if (i === n) break;
    if (text.charCodeAt(i) !== 58) return null;
    i++;
    if (i < n && text.charCodeAt(i) === 58) {
      if (gap !== -1) return null;
      gap = groups.length;
      i++;
    } else if (i === n) {
      return null;
    }
  }
  if (gap === -1) return groups.length === 8 ? groups : null;
  if (groups.length > 7) return null;
  groups.splice(gap, 0, ...new Array<number>(8 - groups.length).fill(0));
  return groups;
}
