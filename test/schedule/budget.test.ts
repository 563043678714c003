import { describe, expect, it } from 'vitest';
import { expire, newBudget, recordSent, room, settle } from '../../server/schedule/budget.ts';

describe("an agent's task budget", () => {
  it('is bounded by concurrency and by sends in the last minute', () => {
    const b = newBudget();
    const limits = { maxConcurrent: 2, maxPerMinute: 3 };
    expect(room(b, limits)).toBe(2);
    recordSent(b, 't1', 0);
    recordSent(b, 't2', 1000);
    expect(room(b, limits)).toBe(0);
    expect(settle(b, 't1')).toBe(true);
    expect(settle(b, 't1')).toBe(false);
    expect(room(b, limits)).toBe(1);
    recordSent(b, 't3', 2000);
    settle(b, 't2');
    settle(b, 't3');
    // Nothing in flight, but three sends within the minute.
    expect(room(b, limits)).toBe(0);
    expect(expire(b, 60_001, 300_000)).toEqual([]);
    expect(room(b, limits)).toBe(1);
  });

  it('expires tasks unanswered for too long, so a lost result does not block the agent forever', () => {
    const b = newBudget();
    recordSent(b, 'lost', 0);
    recordSent(b, 'recent', 250_000);
    expect(expire(b, 300_000, 300_000)).toEqual(['lost']);
    expect([...b.inFlight.keys()]).toEqual(['recent']);
  });
});
