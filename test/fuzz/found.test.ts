/**
 * Failures the fuzzing found, kept as table cases so they stay fixed. The nesting cases threw an uncoded
 * RangeError ("Maximum call stack size exceeded"): a value nested deeper than the stack reached an error
 * message that rendered it with JSON.stringify (server/parse/field-checks.ts describeValue, and the decoder's
 * "unknown message type"); String(), the old fallback, recurses just as deep. The tracert case took 5-8 s.
 * The inherited-name cases returned Object.prototype's functions where a string was typed.
 */
import { describe, expect, it } from 'vitest';
import { DetourwatchError } from '../../protocol/errors.ts';
import { parseAgentMessage, parseCoordinatorMessage } from '../../protocol/messages.ts';
import { packetErrorMessage } from '../../server/parse/atlas-summary.ts';
import { parseTraces, type TraceFormat } from '../../server/parse/index.ts';
import { deeplyNested } from './inputs.ts';

const arrays = (around: (inner: string) => string) => deeplyNested('[', ']', around);

function refusal(run: () => unknown): DetourwatchError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(DetourwatchError);
    return err as DetourwatchError;
  }
  throw new Error('expected a refusal');
}

describe('found by fuzzing: a 64 KiB line without spaces given as tracert text', () => {
  it('is refused within a second (an unanchored header pattern backtracked for seconds)', () => {
    // Just under the longest text line a parser takes (64 KiB), so the line is read, not refused as too long.
    const line = JSON.stringify({ type: 'trace', method: 'x'.repeat(60 * 1024) });
    const started = performance.now();
    const err = refusal(() => parseTraces(line, 'tracert'));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(err.code).toBe('PARSE_FAILED');
  });
});

describe('found by fuzzing: names every object inherits, looked up in a parser table', () => {
  it('a scamper method "constructor" is an unknown method, not Object (which threw a TypeError)', () => {
    const text = JSON.stringify({ type: 'trace', method: 'constructor', dst: '192.0.2.9', hops: [] });
    expect(parseTraces(text, 'scamper')[0]?.method).toBe('unknown');
    const lb = JSON.stringify({ type: 'tracelb', method: 'toString', dst: '192.0.2.9' });
    expect(parseTraces(lb, 'scamper')[0]?.method).toBe('unknown');
  });

  it('an Atlas proto "toString" is refused, not a method named after a function', () => {
    const err = refusal(() => parseTraces(JSON.stringify({ af: 4, proto: 'toString', result: [] }), 'atlas'));
    expect(err.code).toBe('PARSE_FAILED');
    expect(err.message).toContain('"proto"');
  });

  it('an Atlas proto nested 64 KiB deep is refused (its lookup stringified it recursively)', () => {
    const err = refusal(() =>
      parseTraces(
        arrays((v) => `{"af":4,"proto":${v},"result":[]}`),
        'atlas',
      ),
    );
    expect(err.code).toBe('PARSE_FAILED');
  });

  it('an Atlas err "toString" is an other flag, and its message is its own text', () => {
    const result = [{ hop: 1, result: [{ from: '192.0.2.1', rtt: 1, err: 'toString' }] }];
    const reply = parseTraces(JSON.stringify({ af: 4, result }), 'atlas')[0]?.hops[0]?.replies[0];
    expect(reply?.flag).toBe('other');
    expect(reply === undefined ? null : packetErrorMessage(reply)).toBe('toString');
  });

  it('a Cisco IOS token "constructor" is a host name, not a reply flag', () => {
    const text = 'Tracing the route to 192.0.2.9\n  1 192.0.2.1 4 msec constructor 4 msec\n';
    const replies = parseTraces(text, 'cisco')[0]?.hops[0]?.replies ?? [];
    expect(replies.map((r) => r.flag)).toEqual([undefined, undefined]);
    expect(replies.map((r) => r.name)).toEqual([undefined, 'constructor']);
  });
});

describe('found by fuzzing: 64 KiB of nesting in a field an error message shows', () => {
  it.each<[string, TraceFormat, string]>([
    ['a scamper method', 'scamper', arrays((v) => `{"type":"trace","method":${v}}`)],
    ['a scamper method, recognised by auto', 'auto', arrays((v) => `{"type":"trace","method":${v}}`)],
    ['an mtr destination', 'mtr', arrays((v) => `{"report":{"mtr":{"dst":${v}},"hubs":[]}}`)],
    ['an Atlas hop number', 'atlas', arrays((v) => `{"af":4,"result":[{"hop":${v}}]}`)],
    [
      'a scamper hop',
      'scamper',
      arrays((v) => `{"type":"trace","method":"icmp-echo-paris","dst":"192.0.2.9","hops":[${v}]}`),
    ],
  ])('%s (%s) is refused with PARSE_FAILED naming the field', (_what, format, text) => {
    const err = refusal(() => parseTraces(text, format));
    expect(err.code).toBe('PARSE_FAILED');
    expect(err.message).toContain('[...]');
    expect(err.message.length).toBeLessThan(300);
  });

  it.each([
    ['agent', parseAgentMessage],
    ['coordinator', parseCoordinatorMessage],
  ] as const)('a message type the %s side does not know is refused with PROTOCOL_INVALID', (_side, parse) => {
    const err = refusal(() => parse(arrays((v) => `{"type":${v}}`)));
    expect(err.code).toBe('PROTOCOL_INVALID');
    expect(err.message).toBe('unknown message type an array');
  });
});
