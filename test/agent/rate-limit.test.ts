import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SlidingWindowLimiter } from '../../agent/rate-limit.ts';
import { type Job, queueBound, realTimers, TaskQueue } from '../../agent/task-queue.ts';

describe('SlidingWindowLimiter', () => {
  it('allows `limit` starts in any window and says how long until the next one', () => {
    const l = new SlidingWindowLimiter(3, 60_000);
    for (const t of [0, 10_000, 20_000]) {
      expect(l.waitMs(t)).toBe(0);
      l.record(t);
    }
    expect(l.waitMs(30_000)).toBe(30_000); // the start at 0 leaves the window at 60 s
    expect(l.waitMs(59_999)).toBe(1);
    expect(l.waitMs(60_000)).toBe(0);
    l.record(60_000);
    expect(l.waitMs(60_001)).toBe(9_999); // next to leave: the start at 10 s
  });

  it('is a sliding window, not fixed minutes: a burst at 0:59 is not followed by another at 1:00', () => {
    const l = new SlidingWindowLimiter(2, 60_000);
    l.record(59_000);
    l.record(59_500);
    expect(l.waitMs(60_500)).toBe(58_500);
  });
});

describe('queueBound', () => {
  it('holds about a minute of work, at least 10 and at most 1000', () => {
    expect(queueBound(1, 2)).toBe(10);
    expect(queueBound(2, 30)).toBe(30);
    expect(queueBound(50, 20)).toBe(50);
    expect(queueBound(4, 100_000)).toBe(1000);
  });
});

describe('TaskQueue', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A job that runs until the test finishes it. */
  function controllable(log: string[], name: string) {
    let finish!: () => void;
    const job: Job<string> = {
      payload: name,
      run: () => {
        log.push(`start ${name} @${Date.now()}`);
        return new Promise<void>((resolve) => {
          finish = () => {
            log.push(`end ${name}`);
            resolve();
          };
        });
      },
    };
    return { job, finish: () => finish() };
  }

  const newQueue = (
    maxConcurrent: number,
    maxPerMinute: number,
    maxQueued: number,
    escaped: unknown[] = [],
  ) =>
    new TaskQueue<string>({ maxConcurrent, maxPerMinute, maxQueued }, (err) => escaped.push(err), realTimers);

  it('never runs more than maxConcurrent jobs, and starts the next when one ends', async () => {
    const log: string[] = [];
    const q = newQueue(2, 1000, 10);
    const jobs = ['a', 'b', 'c'].map((n) => controllable(log, n));
    for (const j of jobs) expect(q.submit(j.job)).toBe('accepted');
    expect(q.runningCount).toBe(2);
    expect(q.queuedCount).toBe(1);
    jobs[1]?.finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(log).toEqual(['start a @0', 'start b @0', 'end b', 'start c @0']);
  });

  it('waits for the rate window instead of refusing, then starts on time', async () => {
    const log: string[] = [];
    const q = newQueue(10, 2, 10);
    const jobs = ['a', 'b', 'c'].map((n) => controllable(log, n));
    for (const j of jobs) q.submit(j.job);
    for (const j of jobs.slice(0, 2)) j.finish();
    await vi.advanceTimersByTimeAsync(59_999);
    expect(log.filter((l) => l.startsWith('start'))).toEqual(['start a @0', 'start b @0']);
    await vi.advanceTimersByTimeAsync(1);
    expect(log.filter((l) => l.startsWith('start'))).toEqual(['start a @0', 'start b @0', 'start c @60000']);
  });

  it('answers busy beyond the bounded queue, and hands back waiting jobs on close', async () => {
    const log: string[] = [];
    const q = newQueue(1, 100, 2);
    const jobs = ['a', 'b', 'c', 'd'].map((n) => controllable(log, n));
    expect(jobs.map((j) => q.submit(j.job))).toEqual(['accepted', 'accepted', 'accepted', 'busy']);
    expect(q.close()).toEqual(['b', 'c']);
    expect(q.submit(controllable(log, 'e').job)).toBe('closed');
    let idle = false;
    void q.idle().then(() => {
      idle = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(idle).toBe(false); // 'a' still runs
    jobs[0]?.finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(idle).toBe(true);
    expect(log).toEqual(['start a @0', 'end a']);
  });

  it('frees the slot and reports it when a job rejects (a bug), instead of stalling the queue', async () => {
    const escaped: unknown[] = [];
    const log: string[] = [];
    const q = newQueue(1, 100, 5, escaped);
    q.submit({ payload: 'bad', run: () => Promise.reject(new Error('boom')) });
    const next = controllable(log, 'next');
    q.submit(next.job);
    await vi.advanceTimersByTimeAsync(0);
    expect((escaped[0] as Error).message).toBe('boom');
    expect(log).toEqual(['start next @0']);
  });
});
