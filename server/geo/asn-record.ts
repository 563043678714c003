import type { AsnInfo } from '../../protocol/annotated.ts';

const MAX_ORG_LENGTH = 300;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is rejected
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** A valid public-or-private AS number: AS0 means "no AS" (RFC 7607) and 4294967295 is reserved. */
export function isAsn(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 && value < 4_294_967_295;
}

/** An organisation name fit to show, null for none, undefined for garbage. */
export function orgName(value: unknown): string | null | undefined {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') return undefined;
  const name = value.trim();
  if (name.length > MAX_ORG_LENGTH || CONTROL_CHARACTERS.test(name)) return undefined;
  return name === '' ? null : name;
}

/**
 * A GeoLite2-ASN (or GeoIP2-ISP) record: autonomous_system_number, autonomous_system_organization.
 * Null when the record has no valid AS number or carries garbage.
 */
export function parseAsnRecord(raw: unknown, database: string): AsnInfo | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return null;
  const record = raw as Record<string, unknown>;
  const asn = record.autonomous_system_number;
  const org = orgName(record.autonomous_system_organization);
  if (!isAsn(asn) || org === undefined) return null;
  return { asn, org, database };
}
