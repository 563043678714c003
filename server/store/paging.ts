import type { Page } from '../../protocol/history-api.ts';
import { encodeCursor } from '../history/cursor.ts';
import type { PageRequest } from '../history/filters.ts';

/**
 * One page from rows fetched with a limit of `page.limit + 1`: the extra row only says there is more. The
 * cursor continues after the last id of the page, with the instant relative times were resolved against.
 */
export function pageOf<R extends { id: number }, T>(rows: R[], page: PageRequest, map: (r: R) => T): Page<T> {
  const more = rows.length > page.limit;
  const kept = more ? rows.slice(0, page.limit) : rows;
  const last = kept[kept.length - 1];
  return {
    items: kept.map(map),
    nextCursor: more && last ? encodeCursor({ after: last.id, now: page.now }, page.fingerprint) : null,
  };
}

/** Rows per read of an export: small enough that each read is short, large enough to be few. */
export const EXPORT_CHUNK = 500;
