import type { IpVersion } from '../../protocol/trace.ts';

export interface ParsedIp {
  /** Canonical text: dotted quad, or RFC 5952 IPv6 (lower case, shortest form). */
  address: string;
  version: IpVersion;
}

/**
 * Validates an address from untrusted tool output and returns it in one canonical spelling, so the same
 * router reported by different tools is the same string everywhere downstream. IPv4-mapped IPv6
 * (`::ffff:192.0.2.1`, which scamper prints for IPv4 traces on a dual-stack socket) becomes plain IPv4:
 * the packets were IPv4. A zone suffix (`fe80::1%eth0`) is dropped: it names a local interface, not a host.
 * Hand-written rather than regex-based because it runs for every reply of every imported trace.
 */
export function parseIp(text: string): ParsedIp | null {
  const n = text.length;
  if (n === 0 || n > 64) return null;
  if (text.indexOf(':') === -1) return isIpv4(text, 0, n) ? { address: text, version: 4 } : null;
  return parseIpv6(text);
}

/** Strict dotted quad between start and end: four decimal parts 0-255, no leading zeros (octal-ambiguous). */
function isIpv4(text: string, start: number, end: number): boolean {
  let parts = 0;
  let digits = 0;
  let value = 0;
  let first = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || (digits > 1 && first === 48)) return false;
      parts++;
      digits = 0;
      value = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits === 0) first = c;
      value = value * 10 + (c - 48);
      digits++;
      if (value > 255) return false;
    } else {
      return false;
    }
  }
  if (digits === 0 || (digits > 1 && first === 48)) return false;
  return parts === 3;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

function parseIpv6(raw: string): ParsedIp | null {
  const zone = raw.indexOf('%');
  const text = zone === -1 ? raw : raw.slice(0, zone);
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
      // Embedded IPv4 in the last 32 bits (::ffff:192.0.2.1, 64:ff9b::192.0.2.1).
      if (!isIpv4(text, start, n) || groups.length > 6) return null;
      const quad = text.slice(start).split('.').map(Number) as [number, number, number, number];
      groups.push(quad[0] * 256 + quad[1], quad[2] * 256 + quad[3]);
      i = n;
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
  if (gap === -1) {
    if (groups.length !== 8) return null;
  } else {
    if (groups.length > 7) return null;
    groups.splice(gap, 0, ...new Array<number>(8 - groups.length).fill(0));
  }
  return canonical(groups);
}

function canonical(g: number[]): ParsedIp {
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    const hi = g[6] as number;
    const lo = g[7] as number;
    return { address: `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`, version: 4 };
  }
  // RFC 5952: compress the longest run of two or more zero groups, the first one on a tie.
  let bestStart = -1;
  let bestLen = 1;
  for (let s = 0; s < 8; ) {
    if (g[s] !== 0) {
      s++;
      continue;
    }
    let e = s;
    while (e < 8 && g[e] === 0) e++;
    if (e - s > bestLen) {
      bestStart = s;
      bestLen = e - s;
    }
    s = e;
  }
  const hex = g.map((v) => v.toString(16));
  const address =
    bestStart === -1
      ? hex.join(':')
      : `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
  return { address, version: 6 };
}
