/**
 * Property: the wire decoder (protocol/messages.ts) turns any frame into a message of a known type or refuses
 * it with PROTOCOL_INVALID, within a second on 64 KiB; what it accepts keeps the strict rules (a result's
 * startedAt is RFC 3339 with an offset); and every valid message survives the trip through it unchanged.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import {
  ENGINE_NAMES,
  MAX_MESSAGE_BYTES,
  MAX_RETRY_AFTER_MS,
  parseAgentMessage,
  parseCoordinatorMessage,
  type ResultMessage,
  slowDownMessage,
} from '../../protocol/messages.ts';
import { parseRfc3339 } from '../../protocol/time.ts';
import { PROBE_METHODS } from '../../protocol/trace.ts';
import { deeplyNested, type Json, KIB_64, mutatedJson } from './inputs.ts';
import { expectCoded } from './outcome.ts';

const AGENT_TYPES = ['hello', 'result', 'task-failed'];
const COORDINATOR_TYPES = ['welcome', 'task', 'ack', 'error', 'slow-down'];

function decoded(text: string, side: 'agent' | 'coordinator'): string {
  try {
    const message = side === 'agent' ? parseAgentMessage(text) : parseCoordinatorMessage(text);
    expect(side === 'agent' ? AGENT_TYPES : COORDINATOR_TYPES).toContain(message.type);
    if (message.type === 'result') expect(parseRfc3339(message.startedAt)).not.toBeNull();
    return message.type;
  } catch (err) {
    expect(expectCoded(err).code).toBe('PROTOCOL_INVALID');
    return 'refused';
  }
}

const VALID: { side: 'agent' | 'coordinator'; message: Json }[] = [
  {
    side: 'agent',
    message: {
      type: 'hello',
      protocolVersion: 1,
      agentVersion: '0.1.0',
      engines: ['scamper', 'mtr'],
      location: { lat: 47.61, lon: -122.33 },
      limits: { maxConcurrent: 2, maxPerMinute: 30 },
      pending: 0,
    },
  },
  {
    side: 'agent',
    message: {
      type: 'result',
      resultId: 'r-0123456789',
      taskId: 't-42',
      target: '192.0.2.9',
      engine: 'scamper',
      method: 'icmp-paris',
      output: '{"type":"trace"}',
      startedAt: '2026-03-01T12:00:00.000Z',
      durationMs: 1200,
    },
  },
  { side: 'agent', message: { type: 'task-failed', taskId: 't-42', code: 'ENGINE_FAILED', message: 'no' } },
  {
    side: 'coordinator',
    message: { type: 'welcome', agentId: 'a-1', name: 'seattle-1', protocolVersion: 1, heartbeatMs: 15000 },
  },
  { side: 'coordinator', message: { type: 'task', taskId: 't-42', target: 'time-a-g.nist.gov' } },
  { side: 'coordinator', message: { type: 'ack', resultId: 'r-0123456789', status: 'stored' } },
  { side: 'coordinator', message: { type: 'error', code: 'PROTOCOL_INVALID', message: 'bad frame' } },
  { side: 'coordinator', message: { type: 'slow-down', retryAfterMs: 1000, reason: 'the store is behind' } },
];

describe.each(['agent', 'coordinator'] as const)('the %s-side decoder', (side) => {
  test.prop([fc.string({ unit: 'binary', maxLength: 300 })], { numRuns: 200 })('arbitrary text', (text) => {
    decoded(text, side);
  });

  test.prop([fc.json({ maxDepth: 3 })], { numRuns: 200 })('arbitrary JSON', (text) => {
    decoded(text, side);
  });

  const types = side === 'agent' ? AGENT_TYPES : COORDINATOR_TYPES;
  test.prop(
    [fc.constantFrom(...types), fc.dictionary(fc.string({ maxLength: 14 }), fc.jsonValue({ maxDepth: 2 }))],
    {
      numRuns: 200,
    },
  )('an object of a known type with arbitrary fields', (type, fields) => {
    decoded(JSON.stringify({ ...fields, type }), side);
  });

  const own = VALID.filter((v) => v.side === side);
  test.prop([fc.constantFrom(...own).chain((v) => mutatedJson(v.message))], { numRuns: 300 })(
    'a valid message with its values edited',
    (message) => {
      decoded(JSON.stringify(message), side);
    },
  );

  test.prop([fc.constantFrom(...own)], { numRuns: own.length * 2 })(
    'every valid message passes unchanged',
    (v) => {
      const parse = side === 'agent' ? parseAgentMessage : parseCoordinatorMessage;
      expect(parse(JSON.stringify(v.message))).toEqual(v.message);
    },
  );

  test.prop(
    [
      fc.constantFrom(
        deeplyNested('[', ']', (inner) => `{"type":${inner}}`),
        deeplyNested('{"a":', '}', (inner) => `{"type":"result","resultId":${inner}}`),
        deeplyNested('[', ']', (inner) => inner),
        JSON.stringify({ type: 'hello', agentVersion: 'x'.repeat(KIB_64) }),
        `${' '.repeat(MAX_MESSAGE_BYTES)}{}`,
      ),
    ],
    { numRuns: 5 },
  )('64 KiB frames (deep nesting, long fields, past the frame limit) within a second', (text) => {
    const started = performance.now();
    expect(decoded(text, side)).toBe('refused');
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

const resultMessage: fc.Arbitrary<ResultMessage> = fc.record(
  {
    type: fc.constant('result' as const),
    resultId: fc.stringMatching(/^[A-Za-z0-9_-]{8,64}$/),
    taskId: fc.option(fc.string({ maxLength: 64 }), { nil: null }),
    target: fc.string({ maxLength: 253 }),
    engine: fc.constantFrom(...ENGINE_NAMES),
    method: fc.constantFrom(...PROBE_METHODS),
    output: fc.string({ unit: 'binary', maxLength: 2000 }),
    startedAt: fc
      .date({
        min: new Date('1970-01-01T00:00:00Z'),
        max: new Date('9999-12-31T23:59:59Z'),
        noInvalidDate: true,
      })
      .map((d) => d.toISOString()),
    durationMs: fc.double({ min: 0, max: 24 * 3600 * 1000, noNaN: true }),
  },
  { requiredKeys: ['type', 'resultId', 'taskId', 'target', 'engine', 'output', 'startedAt', 'durationMs'] },
);

test.prop([resultMessage], { numRuns: 200 })('any valid result message decodes to itself', (message) => {
  expect(parseAgentMessage(JSON.stringify(message))).toEqual(JSON.parse(JSON.stringify(message)));
});

/** Times in the forms lenient readers accept: Date#toString, toUTCString, ISO without offset, bare years. */
const lenientTime = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom("' OR '1'='1", '2001', 'Dec 25', '2026-03-01', 'yesterday'),
  fc
    .date({ noInvalidDate: true })
    .chain((d) =>
      fc.constantFrom(d.toString(), d.toUTCString(), d.toISOString().slice(0, 19), d.toDateString()),
    ),
);

test.prop([resultMessage, lenientTime], { numRuns: 200 })(
  'a result whose startedAt is not RFC 3339 is refused, however Date.parse reads it',
  (message, startedAt) => {
    fc.pre(parseRfc3339(startedAt) === null);
    expect(decoded(JSON.stringify({ ...message, startedAt }), 'agent')).toBe('refused');
  },
);

// Backpressure (issue 17): a slow-down takes a whole delay within the retry bound and a reason, nothing else.
test.prop([fc.jsonValue({ maxDepth: 1 }), fc.jsonValue({ maxDepth: 1 })], { numRuns: 300 })(
  'a slow-down with arbitrary values is accepted only with a delay in bounds and a short reason',
  (retryAfterMs, reason) => {
    const outcome = decoded(JSON.stringify({ type: 'slow-down', retryAfterMs, reason }), 'coordinator');
    const valid =
      Number.isInteger(retryAfterMs) &&
      (retryAfterMs as number) >= 0 &&
      (retryAfterMs as number) <= MAX_RETRY_AFTER_MS &&
      typeof reason === 'string' &&
      reason.length <= 200;
    expect(outcome).toBe(valid ? 'slow-down' : 'refused');
  },
);

test.prop([fc.double(), fc.string({ maxLength: 400 })], { numRuns: 200 })(
  'every slow-down the coordinator builds is one the agent accepts',
  (delayMs, reason) => {
    fc.pre(Number.isFinite(delayMs));
    const message = slowDownMessage(delayMs, reason);
    expect(parseCoordinatorMessage(JSON.stringify(message))).toEqual(message);
  },
);
