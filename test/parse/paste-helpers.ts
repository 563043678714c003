/** Reading the pasted-text fixtures (test/fixtures/paste) and summarising traces for table tests. */
import { readFileSync } from 'node:fs';
import type { Trace } from '../../protocol/trace.ts';

const PASTE = new URL('../fixtures/paste/', import.meta.url);

export function pasted(file: string): string {
  return readFileSync(new URL(file, PASTE), 'utf8');
}

export function pastedBytes(file: string): Buffer {
  return readFileSync(new URL(file, PASTE));
}

export function pastedPath(file: string): string {
  return new URL(file, PASTE).pathname;
}

/** Each hop as [ttl, [responder (address, else name, else null), rtt] per reply]. */
export function replies(trace: Trace): [number, [string | null, number | null][]][] {
  return trace.hops.map((h) => [h.ttl, h.replies.map((r) => [r.address ?? r.name ?? null, r.rttMs])]);
}

/** The first `n` hops of `replies`. */
export function firstHops(trace: Trace, n: number): ReturnType<typeof replies> {
  return replies(trace).slice(0, n);
}

/** The warnings of a trace, or [] (a test can then look for one by its words). */
export function warningsOf(trace: Trace | undefined): string[] {
  return trace?.warnings ?? [];
}
