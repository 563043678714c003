import type { MiddlewareHandler } from 'hono';
import { DetourwatchError } from '../../protocol/errors.ts';
import type { Auth } from './auth.ts';
import { type Bucket, type BucketLimit, fullBucket, isFull, take } from './token-bucket.ts';

export interface RateLimits {
  /** GET and HEAD. */
  read: BucketLimit;
  /** Everything else (POST: steering probes, uploads). */
  write: BucketLimit;
}

/** Enough for the map's page (a burst of assets and polls) and a script paging an export; far below a flood. */
export const DEFAULT_RATE_LIMITS: RateLimits = {
  read: { ratePerSecond: 20, burst: 40 },
  write: { ratePerSecond: 2, burst: 10 },
};

/** Buckets kept at most; full ones are forgotten first, so a spray of addresses cannot grow memory. */
const MAX_BUCKETS = 100_000;

/**
 * Per-key (a valid key: its id) and else per-address token buckets, one set for reads and one for writes;
 * an empty bucket is answered 429 RATE_LIMITED with Retry-After in seconds.
 */
export function rateLimit(auth: Auth, limits: RateLimits, now: () => number = Date.now): MiddlewareHandler {
  const buckets = new Map<string, Bucket>();
  const prune = (at: number) => {
    for (const [key, bucket] of buckets) {
      const limit = key.startsWith('r:') ? limits.read : limits.write;
      if (isFull(bucket, limit, at)) buckets.delete(key);
    }
    // Still too many: drop the oldest (Map keeps insertion order).
    for (const key of buckets.keys()) {
      if (buckets.size < MAX_BUCKETS) break;
      buckets.delete(key);
    }
  };
  return async (c, next) => {
    const method = c.req.method;
    const kind = method === 'GET' || method === 'HEAD' ? 'r' : 'w';
    const limit = kind === 'r' ? limits.read : limits.write;
    const who = await auth.caller(c);
    const key = `${kind}:${who.tokenId !== null ? `key:${who.tokenId}` : `addr:${auth.address(c) ?? 'unknown'}`}`;
    const at = now();
    let bucket = buckets.get(key);
    if (!bucket) {
      if (buckets.size >= MAX_BUCKETS) prune(at);
      bucket = fullBucket(limit, at);
      buckets.set(key, bucket);
    }
    const outcome = take(bucket, limit, at);
    if (!outcome.ok) {
      c.header('Retry-After', String(Math.max(1, Math.ceil(outcome.retryAfterMs / 1000))));
      throw new DetourwatchError(
        'RATE_LIMITED',
        'too many requests: slow down and retry after the Retry-After delay',
      );
    }
    await next();
  };
}
