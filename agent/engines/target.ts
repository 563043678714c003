import { isIP } from 'node:net';
import { DetourwatchError } from '../../protocol/errors.ts';
import type { IpVersion } from '../../protocol/trace.ts';
import { classifyAddress, inspectAddress } from '../../server/geo/address-class.ts';

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
 * Validates a target: an IPv4/IPv6 address or an RFC 1123 hostname. Refuses everything else, including zone
 * indexes, brackets, whitespace and anything starting with '-', so a target can never be read as an option.
 */
export function parseTarget(input: string): ParsedTarget {
  if (input.length === 0) throw refuse(input, 'it is empty');
  if (input.length > MAX_HOSTNAME_LENGTH + 1)
    throw refuse(input, `it is longer than ${MAX_HOSTNAME_LENGTH} characters`);
  if (isIP(input) !== 0) {
    if (input.includes('%')) throw refuse(input, 'IPv6 zone indexes are not accepted');
    // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) names an IPv4 host: trace it over IPv4.
    const { version, lookupAddress } = inspectAddress(input);
    return { kind: 'address', address: version === 4 ? lookupAddress : input, version };
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
 * unless special targets are explicitly allowed, as tests and the namespace lab do.
 */
export function checkTargetAddress(address: string, allowSpecialTargets: boolean, shownAs = address): void {
  const cls = classifyAddress(address);
  if (cls !== 'global' && !allowSpecialTargets) {
    throw refuse(shownAs, `only global unicast addresses are traced, ${address} is ${cls}`);
  }
}
