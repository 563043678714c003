import type { Context, Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { DetourwatchError, type ErrorCode } from '../../protocol/errors.ts';
import type { ApiErrorBody } from '../../protocol/history-api.ts';
import { ParameterError } from '../history/parameter-error.ts';

/**
 * The one place an error becomes an HTTP answer. Routes throw DetourwatchError; the code picks the status
 * and the message is shown as it is. Anything else, or a code not listed here, is a fault of the
 * coordinator: logged once with its stack, answered 500 INTERNAL without details.
 */
export const API_ERROR_STATUS = {
  BAD_PARAMETER: 400,
  BAD_REQUEST: 400,
  TARGET_REFUSED: 400,
  // The parser's refusals of a pasted text (POST /api/v1/analyze): the sender's to fix, never a fault.
  INPUT_EMPTY: 400,
  INPUT_TOO_LARGE: 400,
  PARSE_FAILED: 400,
  FORMAT_UNKNOWN: 400,
  TRACE_UNSUPPORTED: 400,
  USAGE: 400,
  AUTH_REQUIRED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  AGENT_NOT_CONNECTED: 409,
  PAYLOAD_TOO_LARGE: 413,
  // An operator's location correction that the RTTs rule out: the message has the numbers.
  CORRECTION_REFUTED: 422,
  // Retry-After is set by the rate limiter (server/http/rate-limit.ts), which knows the delay.
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
} as const satisfies Partial<Record<ErrorCode, ContentfulStatusCode>>;

export type ApiErrorCode = keyof typeof API_ERROR_STATUS;

/** Every code an answer can carry: the listed ones and INTERNAL (the OpenAPI document lists them). */
export const API_ERROR_CODES: readonly ErrorCode[] = [
  ...(Object.keys(API_ERROR_STATUS) as ApiErrorCode[]),
  'INTERNAL',
];

/** Sent with UNAVAILABLE (503): when to try again, in seconds. */
const RETRY_AFTER_SECONDS = 5;

const INTERNAL_MESSAGE = 'internal error; the coordinator log has the details';

const isAnswered = (code: ErrorCode): code is ApiErrorCode => Object.hasOwn(API_ERROR_STATUS, code);

export function errorResponse(c: Context, err: unknown, log: (line: string) => void): Response {
  if (err instanceof DetourwatchError && isAnswered(err.code)) {
    const body: ApiErrorBody = { error: { code: err.code, message: err.message } };
    if (err instanceof ParameterError) body.error.parameter = err.parameter;
    if (err.code === 'UNAVAILABLE') c.header('Retry-After', String(RETRY_AFTER_SECONDS));
    return c.json(body, API_ERROR_STATUS[err.code]);
  }
  const code = err instanceof DetourwatchError ? ` ${err.code}` : '';
  const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
  log(`http: ${c.req.method} ${c.req.path}:${code} ${detail}`);
  const body: ApiErrorBody = { error: { code: 'INTERNAL', message: INTERNAL_MESSAGE } };
  return c.json(body, 500);
}

/** Answers `app`'s errors, and requests for routes it does not have, in the one error shape. */
export function answerErrors(app: Hono, log: (line: string) => void): Hono {
  app.notFound((c) =>
    errorResponse(c, new DetourwatchError('NOT_FOUND', `no route ${c.req.method} ${c.req.path}`), log),
  );
  app.onError((err, c) => errorResponse(c, err, log));
  return app;
}
