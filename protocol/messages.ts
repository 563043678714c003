/**
 * The wire contract between agent and coordinator (JSON text frames over one WebSocket).
 * The agent authenticates on the upgrade request (`Authorization: Bearer <token>`), then says `hello`;
 * everything after is validated on receipt by both sides with the functions below.
 */
import { DetourwatchError, type ErrorCode } from './errors.ts';
import { parseRfc3339 } from './time.ts';
import { PROBE_METHODS, type ProbeMethod } from './trace.ts';

export const ENGINE_NAMES = ['scamper', 'mtr', 'traceroute'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

/** Close codes the coordinator uses, so an agent can tell the volunteer what to do. */
export const CloseCode = {
  /** Token unknown or revoked: get a new token from the operator; do not retry. */
  authFailed: 4001,
  /** Protocol version not spoken by this coordinator: upgrade the agent; do not retry. */
  versionIncompatible: 4002,
  /** Malformed or out-of-order messages: a bug; retry after backoff. */
  protocolViolation: 4003,
  /** Too many bad messages. */
  tooManyErrors: 4004,
  /**
   * The token is valid but not an agent's (an operator API key): create an agent token; do not retry.
   */
  wrongRole: 4006,
  /** The claimed location cannot be a vantage point (0,0, the open ocean): fix --location; do not retry. */
  locationImpossible: 4007,
  /** Another connection with the same token replaced this one (this one did not answer a ping in time). */
  replaced: 4005,
  /**
   * Refused: another connection with this token is open and answered a ping. Two agents share the token,
   * or an old connection still lives: retry much later.
   */
  alreadyConnected: 4009,
  /** The coordinator failed while handling a message (its fault): reconnect after backoff; unacked results go again. */
  internalError: 1011,
} as const;

/** Frames larger than this are refused by both sides (a traceroute's raw output is a few KB). */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

export interface Position {
  lat: number;
  lon: number;
}

export interface AgentLimits {
  maxConcurrent: number;
  maxPerMinute: number;
}

// ---- agent -> coordinator ----

export interface HelloMessage {
  type: 'hello';
  protocolVersion: number;
  agentVersion: string;
  engines: EngineName[];
  location: Position | null;
  limits: AgentLimits;
  /** How many results wait in the agent's outbox (informational). */
  pending: number;
}

/** A finished measurement. `resultId` is chosen by the agent and makes delivery idempotent. */
export interface ResultMessage {
  type: 'result';
  resultId: string;
  taskId: string | null;
  target: string;
  engine: EngineName;
  /**
   * How the probes were sent, when the agent knows and the output does not say (mtr's JSON and traceroute's
   * text do not name their protocol). Optional: agents of protocol 1 before it was added omit it.
   */
  method?: ProbeMethod;
  /** The tool's raw output; the coordinator parses it (the parser format is the engine's name). */
  output: string;
  /** RFC 3339 with an offset (protocol/time.ts), as the agent's clock read it when the tool started. */
  startedAt: string;
  durationMs: number;
}

export interface TaskFailedMessage {
  type: 'task-failed';
  taskId: string;
  code: string;
  message: string;
}

export type AgentMessage = HelloMessage | ResultMessage | TaskFailedMessage;

// ---- coordinator -> agent ----

export interface WelcomeMessage {
  type: 'welcome';
  agentId: string;
  name: string;
  protocolVersion: number;
  /** The coordinator pings this often; an agent that hears nothing for 3 intervals reconnects. */
  heartbeatMs: number;
}

export interface TaskMessage {
  type: 'task';
  taskId: string;
  target: string;
}

/** The longest wait a `retry` ack may ask for. */
export const MAX_RETRY_AFTER_MS = 10 * 60 * 1000;

/**
 * Why a result is refused: it answers no task the coordinator issued to this agent (unrequested: no or an
 * unknown task id; foreign: another agent's task), came after the task's window (late), answers a task
 * already answered by another result, or repeats a result id with other content (replayed), says it
 * started in the future or before its task was issued (time invalid), or traced another target than its
 * task named (target mismatch). Sending it again cannot help.
 */
export const RESULT_REFUSALS = [
  'RESULT_UNREQUESTED',
  'RESULT_FOREIGN',
  'RESULT_LATE',
  'RESULT_REPLAYED',
  'RESULT_TIME_INVALID',
  'RESULT_TARGET_MISMATCH',
] as const satisfies readonly ErrorCode[];
export type ResultRefusal = (typeof RESULT_REFUSALS)[number];

/** Why a result was not stored, when a code says more than "busy": the store cannot write for a while. */
export const RETRY_CODES = ['STORE_FULL', 'STORE_READ_ONLY'] as const satisfies readonly ErrorCode[];
export type RetryCode = (typeof RETRY_CODES)[number];

/**
 * `stored`: committed to the coordinator's store; `duplicate`: it already was. Either way the agent may delete
 * it. `retry`: NOT stored (the store was busy or failed): the agent keeps it and sends it again on the same
 * connection after `retryAfterMs` (`code`, when present, says why: RETRY_CODES). `refused`: NOT stored and never will be (`code` says why): the agent
 * deletes it and logs the refusal.
 */
export type AckMessage =
  | { type: 'ack'; resultId: string; status: 'stored' | 'duplicate' }
  | {
      type: 'ack';
      resultId: string;
      status: 'retry';
      retryAfterMs: number;
      reason: string;
      code?: RetryCode;
    }
  | { type: 'ack'; resultId: string; status: 'refused'; code: ResultRefusal; reason: string };

export interface ErrorMessage {
  type: 'error';
  code: string;
  message: string;
}

/**
 * Backpressure (issue 17): the coordinator holds more results than it can store soon. The agent sends no
 * result (new or again) for `retryAfterMs`; everything stays in its outbox, nothing is dropped. Results in
 * flight are still answered. An agent that does not know the type ignores it (and still gets `retry` acks).
 */
export interface SlowDownMessage {
  type: 'slow-down';
  retryAfterMs: number;
  reason: string;
}

export type CoordinatorMessage = WelcomeMessage | TaskMessage | AckMessage | ErrorMessage | SlowDownMessage;

// ---- validation ----

type Json = Record<string, unknown>;

function fail(what: string): never {
  throw new DetourwatchError('PROTOCOL_INVALID', what);
}

/** The `type` of a bad frame, briefly: never JSON.stringify of the value, which overflows on `[[[[...]]]]`. */
function shownType(type: unknown): string {
  if (typeof type === 'string') return JSON.stringify(type.slice(0, 40));
  if (Array.isArray(type)) return 'an array';
  return type !== null && typeof type === 'object' ? 'an object' : String(type);
}

function field(obj: Json, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

function str(obj: Json, key: string, max: number): string {
  const v = field(obj, key);
  if (typeof v !== 'string') fail(`"${key}" must be a string`);
  if (v.length > max) fail(`"${key}" is longer than ${max} characters`);
  return v;
}

function nullableStr(obj: Json, key: string, max: number): string | null {
  return field(obj, key) === null ? null : str(obj, key, max);
}

function num(obj: Json, key: string, min: number, max: number, integer = false): number {
  const v = field(obj, key);
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(`"${key}" must be a finite number`);
  if (integer && !Number.isInteger(v)) fail(`"${key}" must be an integer`);
  if (v < min || v > max) fail(`"${key}" must be between ${min} and ${max}`);
  return v;
}

function engine(v: unknown, key: string): EngineName {
  if (typeof v !== 'string' || !(ENGINE_NAMES as readonly string[]).includes(v)) {
    fail(`"${key}" must be one of ${ENGINE_NAMES.join(', ')}`);
  }
  return v as EngineName;
}

function object(v: unknown, what: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(`${what} must be a JSON object`);
  return v as Json;
}

function position(v: unknown): Position | null {
  if (v === null || v === undefined) return null;
  const o = object(v, '"location"');
  return { lat: num(o, 'lat', -90, 90), lon: num(o, 'lon', -180, 180) };
}

/** Parses one frame's text; throws PROTOCOL_INVALID with a message naming the offending field. */
function parseFrame(text: string): Json {
  if (text.length > MAX_MESSAGE_BYTES || Buffer.byteLength(text) > MAX_MESSAGE_BYTES) {
    fail(`message larger than ${MAX_MESSAGE_BYTES} bytes`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    fail('message is not valid JSON');
  }
  return object(value, 'message');
}

export function parseAgentMessage(text: string): AgentMessage {
  const o = parseFrame(text);
  const type = field(o, 'type');
  switch (type) {
    case 'hello': {
      const engines = field(o, 'engines');
      if (!Array.isArray(engines) || engines.length > ENGINE_NAMES.length)
        fail('"engines" must be a short array');
      const limits = object(field(o, 'limits'), '"limits"');
      return {
        type,
        protocolVersion: num(o, 'protocolVersion', 0, 1_000_000, true),
        agentVersion: str(o, 'agentVersion', 64),
        engines: engines.map((e, i) => engine(e, `engines[${i}]`)),
        location: position(field(o, 'location')),
        limits: {
          maxConcurrent: num(limits, 'maxConcurrent', 1, 1000, true),
          maxPerMinute: num(limits, 'maxPerMinute', 1, 100_000, true),
        },
        pending: num(o, 'pending', 0, Number.MAX_SAFE_INTEGER, true),
      };
    }
    case 'result': {
      const resultId = str(o, 'resultId', 64);
      if (!/^[A-Za-z0-9_-]{8,64}$/.test(resultId))
        fail('"resultId" must be 8-64 characters of [A-Za-z0-9_-]');
      const startedAt = str(o, 'startedAt', 40);
      if (parseRfc3339(startedAt) === null) {
        fail('"startedAt" must be an RFC 3339 time with an offset, such as 2026-03-01T12:00:00Z');
      }
      const method = field(o, 'method');
      if (method !== undefined && !(PROBE_METHODS as readonly unknown[]).includes(method)) {
        fail(`"method" must be one of ${PROBE_METHODS.join(', ')}`);
      }
      return {
        type,
        resultId,
        ...(method === undefined ? {} : { method: method as ProbeMethod }),
        taskId: nullableStr(o, 'taskId', 64),
        target: str(o, 'target', 253),
        engine: engine(field(o, 'engine'), 'engine'),
        output: str(o, 'output', MAX_MESSAGE_BYTES),
        startedAt,
        durationMs: num(o, 'durationMs', 0, 24 * 3600 * 1000),
      };
    }
    case 'task-failed':
      return {
        type,
        taskId: str(o, 'taskId', 64),
        code: str(o, 'code', 64),
        message: str(o, 'message', 2000),
      };
    default:
      fail(`unknown message type ${shownType(type)}`);
  }
}

export function parseCoordinatorMessage(text: string): CoordinatorMessage {
  const o = parseFrame(text);
  const type = field(o, 'type');
  switch (type) {
    case 'welcome':
      return {
        type,
        agentId: str(o, 'agentId', 64),
        name: str(o, 'name', 200),
        protocolVersion: num(o, 'protocolVersion', 0, 1_000_000, true),
        heartbeatMs: num(o, 'heartbeatMs', 100, 3_600_000, true),
      };
    case 'task':
      return { type, taskId: str(o, 'taskId', 64), target: str(o, 'target', 253) };
    case 'ack':
      return parseAck(o);
    case 'error':
      return { type, code: str(o, 'code', 64), message: str(o, 'message', 2000) };
    case 'slow-down':
      return {
        type,
        retryAfterMs: num(o, 'retryAfterMs', 0, MAX_RETRY_AFTER_MS, true),
        reason: str(o, 'reason', 200),
      };
    default:
      fail(`unknown message type ${shownType(type)}`);
  }
}

/** A retry carries its delay and reason; a final ack carries neither, so a stray field cannot mean "retry". */
function parseAck(o: Json): AckMessage {
  const resultId = str(o, 'resultId', 64);
  const status = field(o, 'status');
  if (status === 'retry') {
    const retryAfterMs = num(o, 'retryAfterMs', 0, MAX_RETRY_AFTER_MS, true);
    const reason = str(o, 'reason', 200);
    const code = field(o, 'code');
    if (code === undefined) return { type: 'ack', resultId, status, retryAfterMs, reason };
    if (!(RETRY_CODES as readonly unknown[]).includes(code))
      fail(`"code" of a "retry" ack must be one of ${RETRY_CODES.join(', ')}`);
    return { type: 'ack', resultId, status, retryAfterMs, reason, code: code as RetryCode };
  }
  if (status === 'refused') {
    const code = field(o, 'code');
    if (!(RESULT_REFUSALS as readonly unknown[]).includes(code))
      fail(`"code" must be one of ${RESULT_REFUSALS.join(', ')}`);
    if (field(o, 'retryAfterMs') !== undefined) fail('"retryAfterMs" belongs to a "retry" ack only');
    return { type: 'ack', resultId, status, code: code as ResultRefusal, reason: str(o, 'reason', 200) };
  }
  if (status !== 'stored' && status !== 'duplicate')
    fail('"status" must be "stored", "duplicate", "retry" or "refused"');
  if (field(o, 'retryAfterMs') !== undefined) fail('"retryAfterMs" belongs to a "retry" ack only');
  if (field(o, 'code') !== undefined) fail('"code" belongs to a "retry" or "refused" ack only');
  return { type: 'ack', resultId, status };
}

/** Shortened to what `parseAck` takes. */
const fitReason = (reason: string): string => (reason.length > 200 ? `${reason.slice(0, 197)}...` : reason);

/** The coordinator's side of a refusal: an ack `parseAck` accepts. */
export function refusedAck(resultId: string, code: ResultRefusal, reason: string): AckMessage {
  return { type: 'ack', resultId, status: 'refused', code, reason: fitReason(reason) };
}

/** The coordinator's side of the same rule: a retry ack it builds is one `parseAck` accepts. */
export function retryAck(
  resultId: string,
  retryAfterMs: number,
  reason: string,
  code?: RetryCode,
): AckMessage {
  return {
    type: 'ack',
    resultId,
    status: 'retry',
    retryAfterMs: Math.min(MAX_RETRY_AFTER_MS, Math.max(0, Math.round(retryAfterMs))),
    reason: fitReason(reason),
    ...(code === undefined ? {} : { code }),
  };
}

/** The coordinator's side of backpressure: a `slow-down` that parseCoordinatorMessage accepts. */
export function slowDownMessage(retryAfterMs: number, reason: string): SlowDownMessage {
  return {
    type: 'slow-down',
    retryAfterMs: Math.min(MAX_RETRY_AFTER_MS, Math.max(0, Math.round(retryAfterMs))),
    reason: fitReason(reason),
  };
}
