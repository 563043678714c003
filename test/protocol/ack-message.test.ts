import { describe, expect, it } from 'vitest';
import { MAX_RETRY_AFTER_MS, parseCoordinatorMessage, retryAck } from '../../protocol/messages.ts';

const ack = (fields: Record<string, unknown>) =>
  parseCoordinatorMessage(JSON.stringify({ type: 'ack', resultId: 'r-00000001', ...fields }));

describe('the ack message', () => {
  it('a retry carries its delay and reason', () => {
    expect(ack({ status: 'retry', retryAfterMs: 250, reason: 'store busy' })).toEqual({
      type: 'ack',
      resultId: 'r-00000001',
      status: 'retry',
      retryAfterMs: 250,
      reason: 'store busy',
    });
  });

  it.each([
    [{ status: 'retry', reason: 'x' }, /"retryAfterMs" must be a finite number/],
    [{ status: 'retry', retryAfterMs: -1, reason: 'x' }, /"retryAfterMs" must be between 0 and/],
    [{ status: 'retry', retryAfterMs: 1.5, reason: 'x' }, /"retryAfterMs" must be an integer/],
    [
      { status: 'retry', retryAfterMs: MAX_RETRY_AFTER_MS + 1, reason: 'x' },
      /"retryAfterMs" must be between/,
    ],
    [{ status: 'retry', retryAfterMs: '250', reason: 'x' }, /"retryAfterMs" must be a finite number/],
    [{ status: 'retry', retryAfterMs: 250 }, /"reason" must be a string/],
    [{ status: 'stored', retryAfterMs: 250 }, /"retryAfterMs" belongs to a "retry" ack only/],
    [{ status: 'later', retryAfterMs: 250 }, /"status" must be "stored", "duplicate", "retry" or "refused"/],
  ])('refuses %j', (fields, error) => {
    expect(() => ack(fields)).toThrow(error);
  });

  it('what the coordinator builds is what the agent accepts, its delay kept within bounds', () => {
    for (const [asked, sent] of [
      [250, 250],
      [-5, 0],
      [12.6, 13],
      [MAX_RETRY_AFTER_MS * 3, MAX_RETRY_AFTER_MS],
    ] as const) {
      const built = retryAck('r-00000001', asked, 'store busy');
      expect(built).toMatchObject({ status: 'retry', retryAfterMs: sent });
      expect(parseCoordinatorMessage(JSON.stringify(built))).toEqual(built);
    }
    const long = retryAck('r-00000001', 10, 'x'.repeat(500));
    expect(parseCoordinatorMessage(JSON.stringify(long))).toEqual(long);
  });
});
