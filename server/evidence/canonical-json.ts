import { DetourwatchError } from '../../protocol/errors.ts';

/**
 * The bytes a bundle's signature covers: the JSON Canonicalization Scheme of RFC 8785 (JCS), as UTF-8.
 * Objects list their members sorted by key, compared as UTF-16 code units (what JavaScript's default sort
 * does); no whitespace anywhere; strings and numbers exactly as ECMAScript's JSON.stringify writes them
 * (shortest round-trip numbers, `\n`-style and lowercase `\u00xx` escapes only where JSON needs them).
 *
 * A value and its JSON text read back give the same bytes: members whose value is undefined are left out and
 * undefined array items become null, as JSON.stringify does, so a recipient who parses the bundle file
 * canonicalises exactly what was signed. What JSON cannot hold (NaN, Infinity, bigint, functions) is refused
 * rather than silently changed.
 */
export function canonicalJson(value: unknown): string {
  const out = write(value, '');
  if (out === undefined) throw notJson('', 'undefined');
  return out;
}

/** The canonical text as the UTF-8 bytes that are signed. */
export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalJson(value), 'utf8');
}

function notJson(path: string, what: string): DetourwatchError {
  return new DetourwatchError(
    'INTERNAL',
    `cannot canonicalise ${path === '' ? 'the value' : path}: ${what} has no JSON form`,
  );
}

/** undefined: the member is left out (as JSON.stringify leaves it out). */
function write(value: unknown, path: string): string | undefined {
  if (value === null) return 'null';
  if (typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return write((value as { toJSON: () => unknown }).toJSON(), path);
  }
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw notJson(path, String(value));
      return JSON.stringify(value);
    case 'undefined':
      return undefined;
    case 'object':
      return Array.isArray(value) ? writeArray(value, path) : writeObject(value as object, path);
    default:
      throw notJson(path, `a ${typeof value}`);
  }
}

function writeArray(items: readonly unknown[], path: string): string {
  const parts = items.map((item, i) => write(item, `${path}[${i}]`) ?? 'null');
  return `[${parts.join(',')}]`;
}

function writeObject(object: object, path: string): string {
  const parts: string[] = [];
  // The default sort compares UTF-16 code units, which is the order RFC 8785 section 3.2.3 asks for.
  for (const key of Object.keys(object).sort()) {
    const text = write((object as Record<string, unknown>)[key], `${path}.${key}`);
    if (text !== undefined) parts.push(`${JSON.stringify(key)}:${text}`);
  }
  return `{${parts.join(',')}}`;
}
