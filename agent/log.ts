import type { Writable } from 'node:stream';

/** Everything the agent reports, one line each; a closed list so operators can grep for them. */
export type AgentEvent =
  | 'starting'
  | 'outbox-opened'
  | 'outbox-quarantined'
  | 'outbox-cleaned'
  | 'connecting'
  | 'connected'
  | 'disconnected'
  | 'reconnecting'
  | 'already-connected'
  | 'not-a-coordinator'
  | 'heartbeat-silence'
  | 'coordinator-error'
  | 'task-refused'
  | 'task-received'
  | 'task-started'
  | 'task-finished'
  | 'task-failed'
  | 'result-sent'
  | 'result-acked'
  | 'result-retry'
  | 'slow-down'
  | 'result-refused'
  | 'result-unknown-ack'
  | 'result-too-large'
  | 'message-invalid'
  | 'send-dropped'
  | 'shutting-down'
  | 'stopped'
  | 'fatal';

export type LogLevel = 'info' | 'warn' | 'error';
export type LogValue = string | number | boolean | null | undefined;
export type LogFields = Readonly<Record<string, LogValue>>;

export interface Logger {
  info(event: AgentEvent, fields?: LogFields): void;
  warn(event: AgentEvent, fields?: LogFields): void;
  error(event: AgentEvent, fields?: LogFields): void;
}

/** Bare words stay bare; anything with spaces, quotes or `=` is JSON-quoted so a line splits unambiguously. */
function formatValue(v: Exclude<LogValue, undefined>): string {
  const s = String(v);
  return /^[A-Za-z0-9_.:/@+,-]+$/.test(s) ? s : JSON.stringify(s);
}

/** `2025-01-01T00:00:00.000Z info  task-finished taskId=t1 ms=812` (logfmt-style, undefined fields omitted). */
export function formatLogLine(
  time: Date,
  level: LogLevel,
  event: AgentEvent,
  fields: LogFields = {},
): string {
  const parts = [time.toISOString(), level.padEnd(5), event];
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) parts.push(`${key}=${formatValue(value)}`);
  }
  return parts.join(' ');
}

export function createLogger(stream: Writable, clock: () => Date = () => new Date()): Logger {
  const write = (level: LogLevel) => (event: AgentEvent, fields?: LogFields) => {
    stream.write(`${formatLogLine(clock(), level, event, fields)}\n`);
  };
  return { info: write('info'), warn: write('warn'), error: write('error') };
}
