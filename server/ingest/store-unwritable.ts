import { describeError } from '../../protocol/errors.ts';
import type { RetryCode } from '../../protocol/messages.ts';

/**
 * Whether a store error means "cannot write for a while": the disk is full or the store is read-only. The
 * SQLite store codes these itself (server/store/sqlite/errors.ts: STORE_FULL, STORE_READ_ONLY, the place
 * in the message); the raw codes are read too, along `cause`, for a store or a path that passes them on.
 */
export function storeUnwritable(err: unknown): { code: RetryCode; message: string } | null {
  for (let e = err, depth = 0; e !== null && typeof e === 'object' && depth < 5; depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    const text = typeof message === 'string' ? message : describeError(e);
    if (code === 'STORE_FULL' || code === 'SQLITE_FULL' || code === 'ENOSPC')
      return { code: 'STORE_FULL', message: text };
    if (
      code === 'STORE_READ_ONLY' ||
      code === 'EROFS' ||
      (typeof code === 'string' && code.startsWith('SQLITE_READONLY'))
    )
      return { code: 'STORE_READ_ONLY', message: text };
    e = (e as { cause?: unknown }).cause;
  }
  return null;
}

export interface OutageReply {
  retryAfterMs: number;
  reason: string;
  code: RetryCode;
}

/**
 * One outage of a store that cannot write, from the first failure to the first write that succeeds: one log
 * line when it starts (or its cause changes), one when it ends, never one per result. Agents are told to wait
 * `baseMs`, doubling each time the store still fails after the last delay was over, up to `capMs`.
 */
export interface StoreOutage {
  /** A write failed because the store cannot write (storeUnwritable's answer): the reply for its results. */
  failed(why: { code: RetryCode; message: string }): OutageReply;
  /** A write succeeded: the outage, if any, is over. */
  recovered(): void;
  readonly active: boolean;
}

const WHY: Record<RetryCode, { reason: string; until: string }> = {
  STORE_FULL: { reason: "the coordinator's disk is full", until: 'it has room' },
  STORE_READ_ONLY: { reason: "the coordinator's store is read-only", until: 'it is writable again' },
};

export function createStoreOutage(
  baseMs: number,
  capMs: number,
  log: (line: string) => void,
  clock: () => number = () => performance.now(),
): StoreOutage {
  let current: { code: RetryCode; since: number; delayMs: number; roundEnds: number } | null = null;
  return {
    failed({ code, message }) {
      const now = clock();
      if (current === null || current.code !== code) {
        log(`store: ${message}: not acknowledging results until ${WHY[code].until}`);
        current = { code, since: now, delayMs: baseMs, roundEnds: now + baseMs };
      } else if (now >= current.roundEnds) {
        current.delayMs = Math.min(capMs, current.delayMs * 2);
        current.roundEnds = now + current.delayMs;
      }
      return { retryAfterMs: current.delayMs, reason: WHY[code].reason, code };
    },
    recovered() {
      if (current === null) return;
      const seconds = Math.round((clock() - current.since) / 1000);
      log(`store: writable again after ${seconds} s: acknowledging results`);
      current = null;
    },
    get active() {
      return current !== null;
    },
  };
}
