/**
 * The strict time reader (protocol/time.ts): RFC 3339 date-times with an offset are times, and nothing else is,
 * least of all what a lenient reader makes of `' OR '1'='1` (2001-01-01). Expected instants are written out
 * as UTC literals, not computed by the code under test.
 */
import { describe, expect, it } from 'vitest';
import { DetourwatchError } from '../../protocol/errors.ts';
import { parseAgentMessage } from '../../protocol/messages.ts';
import { isRfc3339, parseRfc3339 } from '../../protocol/time.ts';

describe('parseRfc3339', () => {
  it.each([
    ['2026-03-01T12:00:00Z', Date.UTC(2026, 2, 1, 12)],
    ['2026-03-01t12:00:00z', Date.UTC(2026, 2, 1, 12)],
    ['2026-03-01T12:00:00.5Z', Date.UTC(2026, 2, 1, 12, 0, 0, 500)],
    ['2026-03-01T12:00:00.123456789Z', Date.UTC(2026, 2, 1, 12, 0, 0, 123)],
    ['2026-03-01T17:30:00+05:30', Date.UTC(2026, 2, 1, 12)],
    ['2026-03-01T07:00:00-05:00', Date.UTC(2026, 2, 1, 12)],
    ['2026-03-01T12:00:00-00:00', Date.UTC(2026, 2, 1, 12)],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    ['2000-02-29T00:00:00Z', Date.UTC(2000, 1, 29)],
    // A leap second is the last second of a UTC day; it reads as the instant after it.
    ['2016-12-31T23:59:60Z', Date.UTC(2017, 0, 1)],
    ['2017-01-01T05:29:60+05:30', Date.UTC(2017, 0, 1)],
    // Years below 100 are those years, not 1900 + the year.
    ['0050-01-01T00:00:00Z', -60_589_296_000_000],
  ])('%s is a time', (text, expected) => {
    expect(parseRfc3339(text)).toBe(expected);
    expect(isRfc3339(text)).toBe(true);
  });

  it.each([
    "' OR '1'='1",
    '2001',
    'Dec 25',
    'Dec 25 2026 12:00:00 GMT',
    'yesterday',
    '',
    '1760000000',
    '2026-03-01',
    '2026-03-01T12:00:00',
    '2026-03-01T12:00Z',
    '2026-03-01 12:00:00Z',
    '2026-03-01T12:00:00+0530',
    '2026-03-01T12:00:00+05',
    '2026-03-01T12:00:00.Z',
    '2026-13-01T12:00:00Z',
    '2026-00-01T12:00:00Z',
    '2026-02-29T12:00:00Z',
    '1900-02-29T12:00:00Z',
    '2026-04-31T12:00:00Z',
    '2026-03-01T24:00:00Z',
    '2026-03-01T12:60:00Z',
    '2026-03-01T12:00:61Z',
    '2026-03-01T12:00:60Z',
    '2026-03-01T12:00:00+24:00',
    '2026-03-01T12:00:00+05:60',
    ' 2026-03-01T12:00:00Z',
    '2026-03-01T12:00:00Z ',
    '+2026-03-01T12:00:00Z',
    `2026-03-01T12:00:00.${'1'.repeat(80)}Z`,
  ])('%j is not a time', (text) => {
    expect(parseRfc3339(text)).toBeNull();
    expect(isRfc3339(text)).toBe(false);
  });

  it('is stricter than Date.parse, which reads the injection as a date', () => {
    expect(Number.isNaN(Date.parse("' OR '1'='1"))).toBe(false);
    expect(parseRfc3339("' OR '1'='1")).toBeNull();
  });
});

describe('the agent protocol reads startedAt strictly', () => {
  const result = {
    type: 'result',
    resultId: 'r-0123456789',
    taskId: 't-1',
    target: '192.0.2.9',
    engine: 'scamper',
    output: '{}',
    startedAt: '2026-03-01T12:00:00.000Z',
    durationMs: 1200,
  };

  it('accepts what the agent sends (Date#toISOString) and any RFC 3339 offset', () => {
    expect(parseAgentMessage(JSON.stringify(result)).type).toBe('result');
    const offset = parseAgentMessage(JSON.stringify({ ...result, startedAt: '2026-03-01T07:00:00-05:00' }));
    expect(offset.type === 'result' && offset.startedAt).toBe('2026-03-01T07:00:00-05:00');
  });

  it.each(["' OR '1'='1", '2001', 'Dec 25', '2026-03-01T12:00:00'])('refuses startedAt %j', (startedAt) => {
    let caught: unknown;
    try {
      parseAgentMessage(JSON.stringify({ ...result, startedAt }));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DetourwatchError);
    expect((caught as DetourwatchError).code).toBe('PROTOCOL_INVALID');
    expect((caught as DetourwatchError).message).toContain('"startedAt"');
  });
});
