/**
 * Reconnect delays: capped exponential backoff with full jitter (a uniformly random delay up to the
 * exponential ceiling), so that agents cut off together by a coordinator restart do not return in lockstep.
 */
export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
  /** A connection that stayed up this long resets the schedule to its first step. */
  stableMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 500, capMs: 60_000, stableMs: 30_000 };

/** The largest delay allowed after `attempt` consecutive failures (attempt 0: the first retry). */
export function backoffCeilingMs(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  // Exponent clamped so 2 ** attempt stays finite however long the outage lasts.
  return Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(attempt, 30));
}

/** `random` returns [0, 1) like Math.random; injected so tests can pin the jitter. */
export function backoffDelayMs(
  attempt: number,
  random: () => number = Math.random,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
): number {
  return Math.floor(random() * backoffCeilingMs(attempt, policy));
}

/** Whether a connection lasted long enough to restart the schedule (null: it never got past the handshake). */
export function wasStable(connectedForMs: number | null, policy: BackoffPolicy = DEFAULT_BACKOFF): boolean {
  return connectedForMs !== null && connectedForMs >= policy.stableMs;
}

/**
 * Something that is not a coordinator answers at --server: only a person can fix that, so the agent asks
 * again rarely, from 2 minutes doubling to 30, never less than half the ceiling (no jitter down to zero).
 */
export const WRONG_SERVER_BACKOFF: BackoffPolicy = { baseMs: 120_000, capMs: 30 * 60_000, stableMs: 30_000 };

export function wrongServerDelayMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = backoffCeilingMs(attempt, WRONG_SERVER_BACKOFF);
  return Math.floor(ceiling / 2 + (random() * ceiling) / 2);
}
