/** A token bucket: `ratePerSecond` tokens added continuously up to `burst`; each request takes one. Pure. */
export interface BucketLimit {
  ratePerSecond: number;
  burst: number;
}

export interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date (ms). */
  at: number;
}

export function fullBucket(limit: BucketLimit, now: number): Bucket {
  return { tokens: limit.burst, at: now };
}

/** Takes one token if there is one. Else how long until there is, in ms. Mutates `bucket`. */
export function take(
  bucket: Bucket,
  limit: BucketLimit,
  now: number,
): { ok: true } | { ok: false; retryAfterMs: number } {
  const elapsed = Math.max(0, now - bucket.at);
  bucket.tokens = Math.min(limit.burst, bucket.tokens + (elapsed * limit.ratePerSecond) / 1000);
  bucket.at = now;
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return { ok: true };
  }
  return { ok: false, retryAfterMs: Math.ceil(((1 - bucket.tokens) * 1000) / limit.ratePerSecond) };
}

/** A bucket that has refilled completely is the same as none: it can be forgotten. */
export function isFull(bucket: Bucket, limit: BucketLimit, now: number): boolean {
  return bucket.tokens + ((now - bucket.at) * limit.ratePerSecond) / 1000 >= limit.burst;
}
