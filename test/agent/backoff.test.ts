import { describe, expect, it } from 'vitest';
import { backoffCeilingMs, backoffDelayMs, DEFAULT_BACKOFF, wasStable } from '../../agent/backoff.ts';

describe('reconnect backoff', () => {
  it('doubles from 0.5 s and stops at the 60 s cap, however long the outage', () => {
    const ceilings = [0, 1, 2, 3, 4, 5, 6, 7, 8, 50, 10_000].map((n) => backoffCeilingMs(n));
    expect(ceilings).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000, 60_000]);
  });

  it('uses full jitter: anywhere from 0 up to (not including) the ceiling', () => {
    expect(backoffDelayMs(3, () => 0)).toBe(0);
    expect(backoffDelayMs(3, () => 0.5)).toBe(2000);
    expect(backoffDelayMs(3, () => 0.999_999)).toBe(3999);
    expect(backoffDelayMs(40, () => 0.999_999)).toBe(59_999);
  });

  it('spreads agents out: many agents retrying the same attempt do not pick the same delay', () => {
    const delays = new Set(Array.from({ length: 200 }, () => backoffDelayMs(6)));
    expect(delays.size).toBeGreaterThan(150);
    for (const d of delays) expect(d).toBeGreaterThanOrEqual(0);
    for (const d of delays) expect(d).toBeLessThan(backoffCeilingMs(6));
  });

  it('restarts the schedule only after a connection that held for stableMs', () => {
    expect(wasStable(null)).toBe(false);
    expect(wasStable(DEFAULT_BACKOFF.stableMs - 1)).toBe(false);
    expect(wasStable(DEFAULT_BACKOFF.stableMs)).toBe(true);
    expect(wasStable(5, { baseMs: 1, capMs: 10, stableMs: 5 })).toBe(true);
  });
});
