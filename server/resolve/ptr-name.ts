/**
 * A reverse name is whatever the owner of the address's zone chose to publish: untrusted text. Only names a
 * host could carry pass (RFC 1035 lengths; letters, digits, hyphens, and the underscore some operators use),
 * lower-cased and without the root's trailing dot, so nothing else downstream (hint reader, store, map, exports)
 * ever sees spaces, markup or control characters from DNS.
 */

const MAX_NAME = 253;
const MAX_LABEL = 63;
const LABEL = /^[a-z0-9_-]+$/;

/** The name in canonical form, or null when it is not a plausible host name. */
export function cleanPtrName(raw: string): string | null {
  const name = (raw.endsWith('.') ? raw.slice(0, -1) : raw).toLowerCase();
  if (name.length === 0 || name.length > MAX_NAME) return null;
  for (const label of name.split('.')) {
    if (label.length === 0 || label.length > MAX_LABEL || !LABEL.test(label)) return null;
  }
  return name;
}
