import { describe, expect, it } from 'vitest';
import { formatLogLine } from '../../agent/log.ts';

describe('formatLogLine', () => {
  const t = new Date('2025-01-02T03:04:05.678Z');

  it('writes time, level, event, then key=value pairs, leaving out undefined fields', () => {
    expect(
      formatLogLine(t, 'info', 'task-finished', { taskId: 't1', ms: 812, skip: undefined, ok: true }),
    ).toBe('2025-01-02T03:04:05.678Z info  task-finished taskId=t1 ms=812 ok=true');
  });

  it('quotes values that would break the line apart, so every line splits the same way', () => {
    const line = formatLogLine(t, 'warn', 'disconnected', {
      reason: 'close 1006: a "b" c=d',
      url: 'ws://h:1/p',
    });
    expect(line).toBe(
      '2025-01-02T03:04:05.678Z warn  disconnected reason="close 1006: a \\"b\\" c=d" url=ws://h:1/p',
    );
    expect(formatLogLine(t, 'error', 'fatal', { reason: 'two\nlines' })).not.toContain('\n');
    expect(formatLogLine(t, 'info', 'stopped', { empty: '' })).toContain('empty=""');
  });
});
