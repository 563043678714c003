/** The wire contract's validators: every field of a frame is checked, and the error names the field. */
import { describe, expect, it } from 'vitest';
import { MAX_MESSAGE_BYTES, parseAgentMessage, parseCoordinatorMessage } from '../../protocol/messages.ts';

const result = {
  type: 'result',
  resultId: 'AbCdEfGh12345678',
  taskId: null,
  target: '192.0.2.1',
  engine: 'mtr',
  method: 'icmp',
  output: '{}',
  startedAt: '2026-11-25T00:00:00Z',
  durationMs: 12,
};

describe('parseAgentMessage', () => {
  it('accepts a well-formed result and keeps its method', () => {
    expect(parseAgentMessage(JSON.stringify(result))).toMatchObject({ type: 'result', method: 'icmp' });
    const { method: _omitted, ...older } = result;
    expect(parseAgentMessage(JSON.stringify(older))).not.toHaveProperty('method');
  });

  it.each([
    [{ ...result, method: 'carrier-pigeon' }, '"method"'],
    [{ ...result, engine: 'ping' }, '"engine"'],
    [{ ...result, resultId: 'short' }, '"resultId"'],
    [{ ...result, startedAt: 'yesterday' }, '"startedAt"'],
    [{ ...result, durationMs: -1 }, '"durationMs"'],
    [{ ...result, target: 7 }, '"target"'],
    [
      { type: 'hello', protocolVersion: 1, engines: [], limits: { maxConcurrent: 1, maxPerMinute: 1 } },
      '"agentVersion"',
    ],
    [{ type: 'launch-missiles' }, 'unknown message type'],
    [[1, 2], 'JSON object'],
  ])('refuses %j naming %s', (frame, named) => {
    expect(() => parseAgentMessage(JSON.stringify(frame))).toThrow(named);
  });

  it('refuses text that is not JSON and frames over the size limit (in bytes, not characters)', () => {
    expect(() => parseAgentMessage('{"type":')).toThrow('not valid JSON');
    // Two bytes per character: under the limit in characters, over it in bytes.
    const wide = 'é'.repeat(MAX_MESSAGE_BYTES / 2 + 1);
    expect(() => parseAgentMessage(JSON.stringify({ ...result, output: wide }))).toThrow('larger than');
  });
});

describe('parseCoordinatorMessage', () => {
  it('accepts an ack and refuses an unknown status', () => {
    expect(parseCoordinatorMessage('{"type":"ack","resultId":"x","status":"stored"}')).toEqual({
      type: 'ack',
      resultId: 'x',
      status: 'stored',
    });
    expect(() => parseCoordinatorMessage('{"type":"ack","resultId":"x","status":"lost"}')).toThrow(
      '"status"',
    );
  });
});
