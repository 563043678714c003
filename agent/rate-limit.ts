/**
 * A sliding-window limit: at most `limit` starts in any `windowMs` interval. Pure (the caller passes the
 * clock), so the schedule can be tested without waiting a minute.
 */
export class SlidingWindowLimiter {
  private readonly starts: number[] = [];

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  /** Milliseconds until one more start is allowed (0: now). */
  waitMs(now: number): number {
    this.forget(now);
    if (this.starts.length < this.limit) return 0;
    // The oldest start still inside the window leaves it at oldest + windowMs.
    return (this.starts[0] as number) + this.windowMs - now;
  }

  /** Records a start; call only when waitMs(now) is 0. */
  record(now: number): void {
    this.forget(now);
    this.starts.push(now);
  }

  private forget(now: number): void {
    while (this.starts.length > 0 && (this.starts[0] as number) <= now - this.windowMs) this.starts.shift();
  }
}
