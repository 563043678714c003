/** Which results are late (server/ingest/late.ts): measured from the end of the run to its arrival. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_LATE_AFTER_MS, isLate, markLate } from '../../server/ingest/late.ts';
import type { ResultRecord, TraceRecord } from '../../server/store/trace-store.ts';

const T0 = Date.parse('2026-05-01T00:00:00Z');
const MIN = 60_000;

function record(startedAt: number, durationMs: number, receivedAt: number): ResultRecord {
  const trace = { origin: 'agent', agentId: 'ag_1' } as unknown as TraceRecord;
  return {
    resultId: 'r1',
    agentId: 'ag_1',
    taskId: null,
    target: '192.0.2.50',
    engine: 'mtr',
    startedAt: new Date(startedAt).toISOString(),
    durationMs,
    receivedAt: new Date(receivedAt).toISOString(),
    output: '',
    error: null,
    traces: [trace, trace],
  };
}

describe('late results', () => {
  it.each([
    ['sent as it ended', T0, 90_000, T0 + 90_000, false],
    ['a long run sent at once is not late', T0, 9 * MIN, T0 + 9 * MIN + 1000, false],
    ['exactly the threshold after its end', T0, 0, T0 + DEFAULT_LATE_AFTER_MS, false],
    ['just past the threshold', T0, 0, T0 + DEFAULT_LATE_AFTER_MS + 1, true],
    ['an outbox replayed hours later', T0, 60_000, T0 + 3 * 60 * MIN, true],
  ])('%s -> %s', (_name, started, duration, received, late) => {
    const marked = markLate(record(started, duration, received), DEFAULT_LATE_AFTER_MS);
    expect(marked.traces.map((t) => t.late === true)).toEqual([late, late]);
  });

  it('follows the threshold it is given, and never marks what has no start time', () => {
    expect(markLate(record(T0, 0, T0 + 2 * MIN), MIN).traces[0]?.late).toBe(true);
    expect(isLate(Number.NaN, T0, MIN)).toBe(false);
    expect(isLate(T0, T0 + 2 * MIN, MIN)).toBe(true);
  });
});
