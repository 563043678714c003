/**
 * Every error a user can see carries a stable code (for scripts and logs) and a message that says what is
 * wrong and, where possible, what to do. Add new codes here so the list stays one place to read.
 */
export const ERROR_CODES = [
  // input files and trace text
  'INPUT_UNREADABLE',
  'INPUT_EMPTY',
  'INPUT_TOO_LARGE',
  'PARSE_FAILED',
  'FORMAT_UNKNOWN',
  'TRACE_UNSUPPORTED',
  // geolocation databases
  'DB_OPEN_FAILED',
  'DB_LOOKUP_FAILED',
  'DB_WRONG_KIND',
  // configuration and command line
  'USAGE',
  'CONFIG_INVALID',
  // a worker thread of a command (analyze --jobs) died
  'WORKER_FAILED',
  // HTTP API (server/http/error-response.ts holds the status of each)
  // a query, path or body parameter, or a cursor, that does not fit: 400, naming it
  'BAD_PARAMETER',
  // a request body that is not what the route reads (not JSON, not an object): 400
  'BAD_REQUEST',
  // a request body larger than the route takes: 413
  'PAYLOAD_TOO_LARGE',
  // a measurement for an agent that is not connected: 409
  'AGENT_NOT_CONNECTED',
  // busy (every export slot taken) or the store failing: 503, try again later
  'UNAVAILABLE',
  // a fault of the coordinator: 500, the message says only that its log has the details
  'INTERNAL',
  // no operator key (or an unknown one) where the route needs one: 401
  'AUTH_REQUIRED',
  // a valid key of the wrong role (an agent token on an operator route): 403
  'FORBIDDEN',
  // a hello whose claimed location cannot be a vantage point (0,0, the open ocean)
  'LOCATION_IMPOSSIBLE',
  // too many requests from this address or key: 429 with Retry-After
  'RATE_LIMITED',
  // probe network
  'PROTOCOL_INVALID',
  'AUTH_FAILED',
  'VERSION_INCOMPATIBLE',
  'TARGET_REFUSED',
  'ENGINE_FAILED',
  'ENGINE_MISSING',
  'STORE_FAILED',
  // the store cannot write: its disk is full, or the database or its filesystem is read-only (a `retry`
  // ack's code: the agent keeps its results and waits longer; the coordinator resumes when it can write)
  'STORE_FULL',
  'STORE_READ_ONLY',
  'NOT_FOUND',
  // evidence bundles (`detourwatch bundle verify`): not a bundle; the signature does not match the document;
  // a part the document names by SHA-256 (the HTML report, a raw output) differs; not the pinned key
  'BUNDLE_INVALID',
  'SIGNATURE_INVALID',
  'DIGEST_MISMATCH',
  'KEY_MISMATCH',
  // the coordinator's certificate is not one the agent trusts (--ca for a private CA)
  'TLS_UNTRUSTED',
  // results the coordinator refuses (protocol/messages.ts RESULT_REFUSALS): the agent deletes them
  'RESULT_UNREQUESTED',
  'RESULT_FOREIGN',
  'RESULT_LATE',
  'RESULT_REPLAYED',
  'RESULT_TIME_INVALID',
  'RESULT_TARGET_MISMATCH',
  // an operator's correction of a router's location that the stored RTTs rule out (issue 15): 422, with the numbers
  'CORRECTION_REFUTED',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class DetourwatchError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DetourwatchError';
    this.code = code;
  }
}

/** A message for any thrown value, without leaking stack traces to users. */
export function describeError(err: unknown): string {
  if (err instanceof DetourwatchError) return `${err.code}: ${err.message}`;
  if (err instanceof Error) return err.message;
  return String(err);
}
