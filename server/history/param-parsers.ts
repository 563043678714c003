import { parseIp } from '../../protocol/address/parse.ts';
import { DetourwatchError } from '../../protocol/errors.ts';
import { parseAsn as asn } from '../../protocol/values/asn.ts';
import { parseChoice as choice } from '../../protocol/values/choice.ts';
import { parseCountryCode } from '../../protocol/values/country.ts';
import { parseInstant as instant } from '../../protocol/values/instant.ts';
import { parseIntIn as intIn } from '../../protocol/values/number.ts';
import { badValue, quote } from '../../protocol/values/quote.ts';
import { ParameterError } from './parameter-error.ts';

/**
 * The history API's query and path parameters, read with the value parsers every command uses
 * (protocol/values/): the same grammar on the command line and in a URL. Each throws a ParameterError
 * naming the parameter, which the API answers with 400.
 */

/** Runs a value parser; its complaint becomes a ParameterError naming `name`. */
export function asParameter<T>(name: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof DetourwatchError && err.code === 'USAGE') throw new ParameterError(name, err.message);
    throw err;
  }
}

export const parseInstant = (name: string, text: string, now: number): number =>
  asParameter(name, () => instant(text, now));

export const parseCountry = (name: string, text: string): string =>
  asParameter(name, () => parseCountryCode(text));

export const parseAsn = (name: string, text: string): number => asParameter(name, () => asn(text));

export const parseChoice = <T extends string>(name: string, text: string, choices: readonly T[]): T =>
  asParameter(name, () => choice(text, choices));

export const parseIntIn = (name: string, text: string, min: number, max: number): number =>
  asParameter(name, () => intIn(text, min, max));

/** Agent ids are opaque, but printable and bounded so they fit a URL and a log line. */
export function agentId(text: string): string {
  if (text.length === 0 || text.length > 128 || !/^[\x21-\x7e]+$/.test(text)) {
    throw badValue(`${quote(text)} is not an agent id (printable, without spaces, at most 128 characters)`);
  }
  return text;
}

/** A measurement target as a filter: an IP address (compared canonically) or a host name. */
export function targetFilter(text: string): string {
  const ip = parseIp(text);
  if (ip !== null) return ip.address;
  if (text.length <= 253 && /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9-]{1,63})*\.?$/.test(text)) {
    return text.toLowerCase();
  }
  throw badValue(`${quote(text)} is neither an IP address nor a host name`);
}

/** Incidents are grouped by destination prefix, so their target filter is an address, not a name. */
export function incidentTarget(text: string): string {
  const ip = parseIp(text);
  if (ip === null) throw badValue('incidents are grouped by destination prefix: give an IP address');
  return ip.address;
}

export const parseAgentId = (name: string, text: string): string => asParameter(name, () => agentId(text));

export const parseTarget = (name: string, text: string): string =>
  asParameter(name, () => targetFilter(text));
