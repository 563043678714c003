import { createHash } from 'node:crypto';
import { ParameterError } from './parameter-error.ts';

/**
 * Opaque page cursors. A cursor carries the last id of the page it follows (pages are ordered by id, so rows
 * stored meanwhile never shift a later page), the instant relative times (`since=7d`) were resolved against on
 * the first page (so every page filters the same window), and a fingerprint of the filters, so a cursor reused
 * with other filters is refused instead of silently mixing two result sets.
 */
export interface CursorState {
  /** Id of the last row of the previous page. */
  after: number;
  /** Epoch ms that relative times are measured from. */
  now: number;
}

interface CursorJson {
  v: 1;
  a: number;
  n: number;
  f: string;
}

/** Fingerprint of the filter parameters as given (text, not resolved), independent of their order. */
export function filterFingerprint(params: Record<string, string>): string {
  const canonical = JSON.stringify(Object.entries(params).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 16);
}

export function encodeCursor(state: CursorState, fingerprint: string): string {
  const json: CursorJson = { v: 1, a: state.after, n: state.now, f: fingerprint };
  return Buffer.from(JSON.stringify(json), 'utf8').toString('base64url');
}

const MAX_CURSOR_CHARS = 256;

export function decodeCursor(text: string, fingerprint: string): CursorState {
  const refuse = (why: string) =>
    new ParameterError(
      'cursor',
      `${why}; pass the nextCursor of the previous page unchanged, with the same filters`,
    );
  if (text.length > MAX_CURSOR_CHARS || !/^[A-Za-z0-9_-]+$/.test(text))
    throw refuse('not a cursor this API issued');
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw refuse('not a cursor this API issued');
  }
  const c = json as Partial<CursorJson> | null;
  if (
    typeof c !== 'object' ||
    c === null ||
    c.v !== 1 ||
    !Number.isSafeInteger(c.a) ||
    (c.a as number) < 0 ||
    !Number.isSafeInteger(c.n) ||
    typeof c.f !== 'string'
  ) {
    throw refuse('not a cursor this API issued');
  }
  if (c.f !== fingerprint) throw refuse('this cursor belongs to a query with other filters');
  return { after: c.a as number, now: c.n as number };
}
