/** judgeResult's window under the default: a replay after a night offline is accepted, after the window not. */
import { describe, expect, it } from 'vitest';
import type { ResultMessage } from '../../protocol/messages.ts';
import { DEFAULT_TASK_WINDOW_MS, judgeResult, resultDigest } from '../../server/hub/task-check.ts';
import type { TaskRecord } from '../../server/store/task-store.ts';

const HOUR = 3_600_000;
const issued = Date.parse('2026-12-07T22:00:00.000Z');

const task: TaskRecord = {
  taskId: 'tk_night',
  agentId: 'a1',
  target: '192.0.2.50',
  issuedAt: new Date(issued).toISOString(),
  deadline: new Date(issued + DEFAULT_TASK_WINDOW_MS).toISOString(),
  state: 'issued',
  resultId: null,
  resultDigest: null,
  answeredAt: null,
};

const result = (startedAt: number): ResultMessage => ({
  type: 'result',
  resultId: 'r-night',
  taskId: 'tk_night',
  target: '192.0.2.50',
  engine: 'traceroute',
  output: 'traceroute to 192.0.2.50',
  startedAt: new Date(startedAt).toISOString(),
  durationMs: 900,
});

describe('the task window for agents that were offline', () => {
  it.each([
    ['10 hours after issue (a laptop closed overnight)', 10 * HOUR, true],
    ['just inside the window', DEFAULT_TASK_WINDOW_MS - 1, true],
    ['just after the window', DEFAULT_TASK_WINDOW_MS + 1, false],
  ])('an answer %s', (_what, deliveredAfter, accepted) => {
    const r = result(issued + 1000);
    const verdict = judgeResult(task, r, resultDigest(r), 'a1', issued + deliveredAfter);
    if (accepted) expect(verdict).toEqual({ accept: true, claim: true });
    else expect(verdict).toMatchObject({ accept: false, code: 'RESULT_LATE' });
  });

  it('keeps the trust rules with the longer window', () => {
    const before = result(issued - 2 * HOUR);
    expect(judgeResult(task, before, resultDigest(before), 'a1', issued + 8 * HOUR)).toMatchObject({
      accept: false,
      code: 'RESULT_TIME_INVALID',
    });
    const r = result(issued + 1000);
    expect(judgeResult(task, r, resultDigest(r), 'a2', issued + 8 * HOUR)).toMatchObject({
      code: 'RESULT_FOREIGN',
    });
    const answered: TaskRecord = { ...task, state: 'answered', resultId: 'r-other', resultDigest: 'x' };
    expect(judgeResult(answered, r, resultDigest(r), 'a1', issued + 8 * HOUR)).toMatchObject({
      code: 'RESULT_REPLAYED',
    });
  });
});
