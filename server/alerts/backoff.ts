export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Wait before the second attempt; doubles for each attempt after that. */
  baseDelayMs: number;
  /** No wait is longer than this. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 1000, maxDelayMs: 60_000 };

/**
 * How long to wait after failed attempt number `attempt` (1-based): exponential, capped, with "equal jitter"
 * (half fixed, half random) so many alerts failing together do not retry in lockstep, yet no wait collapses
 * to nothing. Null when no attempt is left.
 */
export function retryDelayMs(
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number | null {
  if (attempt >= policy.maxAttempts) return null;
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(exp / 2 + (exp / 2) * random());
}

/** Whether an HTTP answer is worth trying again: server errors, timeouts and rate limits, not other refusals. */
export function retryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}
