import { describe, expect, it } from 'vitest';
import { DetourwatchError } from '../../protocol/errors.ts';
import { parseCoordinatorMessage, retryAck } from '../../protocol/messages.ts';
import { createStoreOutage, storeUnwritable } from '../../server/ingest/store-unwritable.ts';
import { storeWriteError } from '../../server/store/sqlite/errors.ts';

const sqlite = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('a store that cannot write', () => {
  it('codes SQLite full and read-only errors with the place, also inside a failed fold', () => {
    const full = storeWriteError(sqlite('SQLITE_FULL', 'database or disk is full'), '/data/x.sqlite');
    expect(full).toMatchObject({ code: 'STORE_FULL', message: 'the disk holding /data is full' });
    const ro = storeWriteError(sqlite('SQLITE_READONLY_DBMOVED', 'moved'), '/data/x.sqlite');
    expect(ro).toMatchObject({
      code: 'STORE_READ_ONLY',
      message: 'the database /data/x.sqlite is read-only',
    });
    const fold = new DetourwatchError('STORE_FAILED', 'cannot fold', {
      cause: sqlite('SQLITE_FULL', 'full'),
    });
    expect(storeWriteError(fold, '/d/x.sqlite')).toMatchObject({ code: 'STORE_FULL' });
    const other = sqlite('SQLITE_CONSTRAINT', 'constraint');
    expect(storeWriteError(other, '/d/x.sqlite')).toBe(other);
    expect(storeUnwritable(full)).toEqual({ code: 'STORE_FULL', message: 'the disk holding /data is full' });
    expect(storeUnwritable(new Error('x', { cause: sqlite('EROFS', 'ro') }))?.code).toBe('STORE_READ_ONLY');
    expect(storeUnwritable(other)).toBeNull();
  });

  it('logs one line per outage, doubles the delay per round up to the cap, and logs the recovery once', () => {
    const lines: string[] = [];
    let now = 0;
    const outage = createStoreOutage(
      30_000,
      120_000,
      (l) => lines.push(l),
      () => now,
    );
    const why = { code: 'STORE_FULL' as const, message: 'the disk holding /d is full' };
    const delays = [];
    for (const at of [0, 10, 29_999, 30_000, 90_000, 210_000, 330_000]) {
      now = at;
      delays.push(outage.failed(why).retryAfterMs);
    }
    expect(delays).toEqual([30_000, 30_000, 30_000, 60_000, 120_000, 120_000, 120_000]);
    outage.recovered();
    outage.recovered();
    expect(lines).toEqual([
      'store: the disk holding /d is full: not acknowledging results until it has room',
      'store: writable again after 330 s: acknowledging results',
    ]);
    expect(outage.active).toBe(false);
  });

  it('carries the code on the retry ack, validated by the agent side', () => {
    const ack = retryAck('r-1', 30_000, "the coordinator's disk is full", 'STORE_FULL');
    expect(parseCoordinatorMessage(JSON.stringify(ack))).toEqual(ack);
    const plain = retryAck('r-1', 250, 'busy');
    expect(parseCoordinatorMessage(JSON.stringify(plain))).not.toHaveProperty('code');
    const bad = { ...ack, code: 'RESULT_LATE' };
    expect(() => parseCoordinatorMessage(JSON.stringify(bad))).toThrow(
      /"code" of a "retry" ack must be one of/,
    );
    const stored = { type: 'ack', resultId: 'r-1', status: 'stored', code: 'STORE_FULL' };
    expect(() => parseCoordinatorMessage(JSON.stringify(stored))).toThrow(/"code" belongs to/);
  });
});
