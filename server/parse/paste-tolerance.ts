/**
 * What people paste around a tool's output, and how the text parsers stay honest about it: shell prompts and
 * the command line, a `^C` after Ctrl-C, a last line cut off by the copy. A parser keeps every hop it could read
 * and records each line it could not as a warning naming the line (Trace.warnings); it fails only when nothing
 * at all was read.
 */
import { DetourwatchError } from '../../protocol/errors.ts';
import type { Trace } from '../../protocol/trace.ts';
import type { ParseLimits } from './limits.ts';

/** Warnings kept per trace; a 50 MB paste of junk must not become 50 MB of warnings. */
export const MAX_WARNINGS = 50;

/** Characters of a skipped line quoted in its warning. */
const QUOTED_CHARS = 60;

export function quoted(line: string): string {
  const text = line.trim();
  return JSON.stringify(text.length > QUOTED_CHARS ? `${text.slice(0, QUOTED_CHARS)}...` : text);
}

/** Collects warnings up to MAX_WARNINGS and counts the rest. */
export class Warnings {
  private readonly list: string[] = [];
  private dropped = 0;

  add(message: string): void {
    if (this.list.length < MAX_WARNINGS) this.list.push(message);
    else this.dropped++;
  }

  line(lineNumber: number, message: string): void {
    this.add(`line ${lineNumber}: ${message}`);
  }

  get size(): number {
    return this.list.length + this.dropped;
  }

  /** The first few, for an error message when nothing could be read. */
  first(n: number): string[] {
    return this.list.slice(0, n);
  }

  /** Moves what is left after the last trace finished onto it: a warning is never dropped. */
  flushLeftover(traces: readonly Trace[]): void {
    const last = traces[traces.length - 1];
    if (last !== undefined) this.flushInto(last);
  }

  /** Moves everything collected so far onto `trace.warnings` (after what it holds), and starts empty. */
  flushInto(trace: Trace): void {
    if (this.size === 0) return;
    const all = [...(trace.warnings ?? []), ...this.list];
    if (this.dropped > 0) all.push(`... and ${this.dropped} more warnings like these`);
    trace.warnings = all;
    this.list.length = 0;
    this.dropped = 0;
  }
}

/**
 * A shell or router prompt with nothing after it or with a trace command (`user@host:~$ traceroute -n 1.2.3.4`,
 * `C:\>tracert 8.8.8.8`, `router#traceroute 10.0.0.1`, `root@r1> traceroute 6.6.6.6`), Junos' `[edit]`, or the
 * bare command line echoed without a prompt (`traceroute 10.135.0.2 no-resolve`).
 */
const PROMPT =
  /^\s*(?:[^\s$#%>]{0,120}[$#%>]\s*(?:(?:sudo\s+|run\s+)?(?:traceroute6?|tracert|tracepath6?|mtr|scamper|pathping)\b.*)?|\[edit[^\]]*\]|(?:sudo\s+)?(?:traceroute6?|tracert|tracepath6?|mtr)\s+(?!to\s|from\s)[-\w.:[\]]+(?:\s.*)?)$/i;

/** Ctrl-C as the terminal echoes it, at the end of a line or on its own. */
const INTERRUPT = /\^C\s*$/;

export type Noise = 'prompt' | 'interrupt';

/** Whether a line is a prompt or a command line (not tool output), or a lone `^C`. */
export function noiseOf(line: string): Noise | null {
  const t = line.trim();
  if (t === '^C') return 'interrupt';
  return PROMPT.test(line) ? 'prompt' : null;
}

/** The line without a trailing `^C`, and whether it had one. */
export function withoutInterrupt(line: string): { line: string; interrupted: boolean } {
  if (!INTERRUPT.test(line)) return { line, interrupted: false };
  return { line: line.replace(INTERRUPT, ''), interrupted: true };
}

export function noiseWarning(noise: Noise, line: string): string {
  return noise === 'prompt'
    ? `skipped ${quoted(line)}: a prompt or command line, not the tool's output`
    : 'the trace was interrupted (^C): later TTLs were never measured';
}

export const INTERRUPTED = 'the trace was interrupted (^C) here: later TTLs were never measured';

/** A trace with no hops yet, for the text parsers to fill. */
export function emptyTrace(tool: Trace['tool'], method: Trace['method'], variant: string): Trace {
  return {
    tool,
    method,
    ipVersion: 4,
    source: { address: null },
    destination: { address: null },
    startedAt: null,
    hops: [],
    meta: { variant },
  };
}

/**
 * Tools that print rounded or truncated times (mtr one decimal, tracert and WinMTR whole milliseconds, Cisco
 * msec) print 0 for the fastest replies. 0 is not a round-trip time, and as a distance bound it would place the
 * router at the prober: the physics gets the largest value the printed 0 stands for instead.
 */
export function printedRtt(value: number, zeroMeansBelow: number): number {
  return value > 0 ? value : zeroMeansBelow;
}

/** ISO 8601 with an offset (mtr's `Start: 2026-12-04T18:30:51+0000`); null for anything else. */
export function isoTime(text: string): string | null {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d+)?([+-]\d\d):?(\d\d)$/.exec(text.trim());
  if (m === null) return null;
  const ms = Date.parse(`${m[1]}${m[2]}:${m[3]}`);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

/** A line longer than any tool prints: refused before it is scanned. */
export function lineTooLong(lineNumber: number, length: number, limits: ParseLimits): DetourwatchError {
  return new DetourwatchError(
    'INPUT_TOO_LARGE',
    `line ${lineNumber} is ${length} characters; no traceroute tool prints lines longer than ${limits.maxTextLineChars}`,
  );
}
