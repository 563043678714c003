import { describeAddress, inspectAddress } from './address/classify.ts';
import { formatV6, readIp } from './address/parse.ts';
import { DetourwatchError } from './errors.ts';
import type { IpVersion } from './trace.ts';

/**
 * The target grammar, shared by the coordinator (target lists, the measurement API) and the agent (which
 * checks again before anything reaches a tool's command line).
 */

/** What a target string turned out to be; nothing else ever reaches a tool's command line. */
export type ParsedTarget =
  | { kind: 'address'; address: string; version: IpVersion }
  | { kind: 'hostname'; name: string };

const MAX_HOSTNAME_LENGTH = 253;
// RFC 1123 label: letters, digits and inner hyphens, 1 to 63 characters.
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

function refuse(input: string, why: string): DetourwatchError {
  const shown = input.length > 80 ? `${input.slice(0, 80)}...` : input;
  return new DetourwatchError('TARGET_REFUSED', `target ${JSON.stringify(shown)} refused: ${why}`);
}

/**
 * Validates a target: an IPv4/IPv6 address (given back in canonical spelling) or an RFC 1123 hostname.
 * Refuses everything else, including zone indexes, brackets, whitespace and anything starting with '-', so a
 * target can never be read as an option.
 */
export function parseTarget(input: string): ParsedTarget {
  if (input.length === 0) throw refuse(input, 'it is empty');
  if (input.length > MAX_HOSTNAME_LENGTH + 1)
    throw refuse(input, `it is longer than ${MAX_HOSTNAME_LENGTH} characters`);
  const ip = readIp(input);
  if (ip !== null) {
    // A zone names an interface of the machine that reads it: the same text means another host elsewhere.
    if (ip.version === 6 && ip.zone !== null) throw refuse(input, 'IPv6 zone indexes are not accepted');
    if (ip.version === 4) return { kind: 'address', address: input, version: 4 };
    // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) names an IPv4 host: trace it over IPv4.
    const { embedded, lookupAddress } = inspectAddress(input);
    if (embedded?.form === 'ipv4-mapped') return { kind: 'address', address: lookupAddress, version: 4 };
    return { kind: 'address', address: formatV6(ip.groups), version: 6 };
  }
  const name = input.endsWith('.') ? input.slice(0, -1) : input;
  if (name.length === 0 || name.length > MAX_HOSTNAME_LENGTH) {
    throw refuse(input, `a hostname has 1 to ${MAX_HOSTNAME_LENGTH} characters`);
  }
  const labels = name.split('.');
  const bad = labels.find((label) => !LABEL.test(label));
  if (bad !== undefined) {
    throw refuse(input, 'not an IP address, nor a hostname of letters, digits and inner hyphens (RFC 1123)');
  }
  // Resolvers read all-numeric forms such as "127.1" or "2130706433" as IPv4 addresses: names must not be.
  if (/^\d+$/.test(labels[labels.length - 1] ?? '')) {
    throw refuse(input, 'the last label of a hostname must not be all digits');
  }
  return { kind: 'hostname', name: name.toLowerCase() };
}

/**
 * Refuses addresses outside global unicast (private, loopback, link-local, CGNAT, documentation, multicast...)
 * unless special targets are explicitly allowed, as tests and the namespace lab do. An address that carries
 * an IPv4 address (6to4, Teredo, NAT64, IPv4-mapped or -compatible) is judged by that IPv4 address, and the
 * refusal names it. The agent applies this same check to every address a hostname resolves to.
 */
export function checkTargetAddress(address: string, allowSpecialTargets: boolean, shownAs = address): void {
  const ip = readIp(address);
  if (ip?.version === 6 && ip.zone !== null) throw refuse(shownAs, 'IPv6 zone indexes are not accepted');
  if (inspectAddress(address).class !== 'global' && !allowSpecialTargets) {
    throw refuse(shownAs, `only global unicast addresses are traced, ${describeAddress(address)}`);
  }
}
