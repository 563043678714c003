import { SlidingWindowLimiter } from './rate-limit.ts';

/** The clock and timers the queue uses; injected so tests can drive time. */
export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface TaskQueueLimits {
  maxConcurrent: number;
  maxPerMinute: number;
  /** Jobs allowed to wait for a slot; beyond that `submit` answers 'busy'. */
  maxQueued: number;
}

/** How many tasks may wait: a minute's worth at the volunteer's rate, within sane bounds. */
export function queueBound(maxConcurrent: number, maxPerMinute: number): number {
  return Math.min(1000, Math.max(maxConcurrent, maxPerMinute, 10));
}

export type Job<T> = { payload: T; run: () => Promise<void> };

/**
 * Runs jobs under the volunteer's limits: a semaphore of `maxConcurrent` running jobs and a sliding window
 * of `maxPerMinute` starts. Jobs wait in a bounded FIFO; the queue never runs two pumps at once because
 * everything happens on the event loop's single thread.
 */
export class TaskQueue<T> {
  private readonly waiting: Job<T>[] = [];
  private readonly limiter: SlidingWindowLimiter;
  private running = 0;
  private timer: unknown = null;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly limits: TaskQueueLimits,
    /** Jobs report their own failures; this sees only what escaped them (a bug), so the slot still frees. */
    private readonly onEscapedError: (err: unknown, payload: T) => void,
    private readonly timers: Timers = realTimers,
  ) {
    this.limiter = new SlidingWindowLimiter(limits.maxPerMinute, 60_000);
  }

  get runningCount(): number {
    return this.running;
  }

  get queuedCount(): number {
    return this.waiting.length;
  }

  /** 'busy' when the queue is full, 'closed' after close(); otherwise the job will run eventually. */
  submit(job: Job<T>): 'accepted' | 'busy' | 'closed' {
    if (this.closed) return 'closed';
    if (this.waiting.length >= this.limits.maxQueued) return 'busy';
    this.waiting.push(job);
    this.pump();
    return 'accepted';
  }

  /** Stops accepting and starting jobs; returns the payloads of jobs that never started. */
  close(): T[] {
    this.closed = true;
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    const dropped = this.waiting.splice(0).map((j) => j.payload);
    this.notifyIdle();
    return dropped;
  }

  /** Resolves when no job is running (after close(): when the started ones have finished). */
  idle(): Promise<void> {
    if (this.running === 0 && (this.closed || this.waiting.length === 0)) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (!this.closed && this.running < this.limits.maxConcurrent && this.waiting.length > 0) {
      const now = this.timers.now();
      const wait = this.limiter.waitMs(now);
      if (wait > 0) {
        if (this.timer === null) {
          this.timer = this.timers.setTimeout(() => {
            this.timer = null;
            this.pump();
          }, wait);
        }
        return;
      }
      this.limiter.record(now);
      const job = this.waiting.shift() as Job<T>;
      this.running++;
      job
        .run()
        .catch((err: unknown) => this.onEscapedError(err, job.payload))
        .finally(() => {
          this.running--;
          this.pump();
          this.notifyIdle();
        });
    }
  }

  private notifyIdle(): void {
    if (this.running !== 0 || (!this.closed && this.waiting.length > 0)) return;
    const waiters = this.idleWaiters.splice(0);
    for (const w of waiters) w();
  }
}
