import { accessSync, constants, statfsSync } from 'node:fs';
import path from 'node:path';
import { DetourwatchError } from '../../../protocol/errors.ts';

/** Below this much free space (a few 16 KiB pages) a write that failed with an I/O error failed for room. */
const NEARLY_FULL_BYTES = 256 * 1024;

const codeOf = (err: unknown): string =>
  err !== null && typeof err === 'object' && typeof (err as { code?: unknown }).code === 'string'
    ? (err as { code: string }).code
    : '';

/** What the filesystem holding `dir` says now: read-only, (nearly) full, or neither. */
function probe(dir: string): 'STORE_FULL' | 'STORE_READ_ONLY' | null {
  try {
    accessSync(dir, constants.W_OK);
  } catch (err) {
    if (codeOf(err) === 'EROFS') return 'STORE_READ_ONLY';
  }
  try {
    const fs = statfsSync(dir);
    if (fs.bavail * fs.bsize < NEARLY_FULL_BYTES) return 'STORE_FULL';
  } catch {
    // Cannot tell: the error stays what SQLite said.
  }
  return null;
}

/**
 * A failed call's error, coded when the store cannot write: STORE_FULL (SQLITE_FULL, which SQLite reports
 * for ENOSPC, or an I/O error on a disk with no room left) or STORE_READ_ONLY (SQLITE_READONLY and its
 * extended codes, or an I/O error on a filesystem now read-only, e.g. remounted after an error: SQLite
 * reports EROFS as SQLITE_IOERR_*). The message names the place, for the coordinator's one log line; the
 * original stays as `cause`. Anything else is returned unchanged.
 */
export function storeWriteError(err: unknown, file: string): unknown {
  if (err instanceof DetourwatchError && err.code !== 'STORE_FAILED') return err;
  // A STORE_FAILED of this store (a failed incident fold) keeps SQLite's error as its cause.
  const code = codeOf(err instanceof DetourwatchError ? err.cause : err);
  const dir = path.dirname(file);
  let coded: 'STORE_FULL' | 'STORE_READ_ONLY' | null = null;
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') coded = 'STORE_FULL';
  else if (code.startsWith('SQLITE_READONLY') || code === 'EROFS') coded = 'STORE_READ_ONLY';
  else if (code.startsWith('SQLITE_IOERR')) coded = probe(dir);
  if (coded === null) return err;
  const message =
    coded === 'STORE_FULL' ? `the disk holding ${dir} is full` : `the database ${file} is read-only`;
  return new DetourwatchError(coded, message, { cause: err });
}

/**
 * `store` with every method's failure passed through storeWriteError, so each write path (results, tasks,
 * agents, incidents...) reports a full or read-only disk by the same code without a try in each.
 */
export function codingWriteErrors<T extends object>(file: string, store: T): T {
  const coded: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(store)) {
    if (typeof value !== 'function') {
      coded[key] = value;
      continue;
    }
    const method = value as (...args: unknown[]) => unknown;
    coded[key] = (...args: unknown[]): unknown => {
      let result: unknown;
      try {
        result = method.apply(store, args);
      } catch (err) {
        throw storeWriteError(err, file);
      }
      return result instanceof Promise
        ? result.catch((err: unknown) => {
            throw storeWriteError(err, file);
          })
        : result;
    };
  }
  return coded as T;
}
