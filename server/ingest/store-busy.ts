/**
 * Whether a store error means "busy, try again shortly" (another writer holds the lock) rather than a
 * failure. SQLite reports SQLITE_BUSY / SQLITE_LOCKED and their extended forms (SQLITE_BUSY_SNAPSHOT...);
 * a store that wraps them keeps the original as `cause`, and a store may say so itself with `STORE_BUSY`.
 */
export function isStoreBusy(err: unknown): boolean {
  for (let e = err, depth = 0; e !== null && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^(SQLITE_BUSY|SQLITE_LOCKED|STORE_BUSY)/.test(code)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
