import { describe, expect, it } from 'vitest';
import { fullBucket, isFull, take } from '../../server/http/token-bucket.ts';

const limit = { ratePerSecond: 2, burst: 3 };

describe('a token bucket', () => {
  it('lets a burst through, then refills at its rate', () => {
    const b = fullBucket(limit, 0);
    expect([take(b, limit, 0), take(b, limit, 0), take(b, limit, 0)].every((r) => r.ok)).toBe(true);
    // Empty: one token comes back after 1000 / rate ms.
    expect(take(b, limit, 0)).toEqual({ ok: false, retryAfterMs: 500 });
    expect(take(b, limit, 499).ok).toBe(false);
    expect(take(b, limit, 500).ok).toBe(true);
  });

  it('says how long until the next token, and never holds more than its burst', () => {
    const b = fullBucket(limit, 0);
    for (let i = 0; i < 3; i++) take(b, limit, 0);
    const refused = take(b, limit, 100);
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.retryAfterMs).toBe(400);
    expect(isFull(b, limit, 100_000)).toBe(true);
    take(b, limit, 100_000);
    expect(b.tokens).toBe(limit.burst - 1);
  });
});
