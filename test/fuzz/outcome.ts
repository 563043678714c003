/**
 * The one property every trust boundary must have: whatever comes in is refused with a coded DetourwatchError,
 * or becomes traces that each pass the plausibility check or are marked implausible with known codes. Anything
 * else (a TypeError, a RangeError from a deep recursion, an error without a code) breaks it.
 */
import { expect } from 'vitest';
import { DetourwatchError, ERROR_CODES } from '../../protocol/errors.ts';
import { PLAUSIBILITY_CODES } from '../../protocol/plausibility.ts';
import { PROBE_METHODS, type ReplyFlag, TRACE_TOOLS, type Trace } from '../../protocol/trace.ts';
import { checkPlausibility } from '../../server/plausibility/plausibility.ts';

const REPLY_FLAGS = [
  'host-unreachable',
  'network-unreachable',
  'protocol-unreachable',
  'port-unreachable',
  'admin-prohibited',
  'fragmentation-needed',
  'source-route-failed',
  'other',
] as const satisfies readonly ReplyFlag[];
// A ReplyFlag added to protocol/trace.ts must be added above, or this stops compiling.
const everyFlag: [Exclude<ReplyFlag, (typeof REPLY_FLAGS)[number]>] extends [never] ? true : never = true;

const isText = (v: unknown) => typeof v === 'string';
const isRtt = (v: unknown) => v === null || (typeof v === 'number' && Number.isFinite(v));

/**
 * What every parser promises of a Trace, beyond its TypeScript type (which untrusted input can subvert: a
 * lookup of "constructor" in a plain object returns a function where a string was typed).
 */
export function expectWellFormed(trace: Trace): void {
  expect(everyFlag).toBe(true);
  expect(TRACE_TOOLS).toContain(trace.tool);
  expect(PROBE_METHODS).toContain(trace.method);
  expect([4, 6]).toContain(trace.ipVersion);
  expect(trace.source.address === null || isText(trace.source.address)).toBe(true);
  expect(trace.destination.address === null || isText(trace.destination.address)).toBe(true);
  for (const hop of trace.hops) {
    expect(Number.isInteger(hop.ttl)).toBe(true);
    for (const r of hop.replies) {
      expect(r.address === null || isText(r.address)).toBe(true);
      expect(isRtt(r.rttMs)).toBe(true);
      if (r.flag !== undefined) expect(REPLY_FLAGS).toContain(r.flag);
      if (r.name !== undefined) expect(isText(r.name)).toBe(true);
      if (r.rawFlag !== undefined) expect(isText(r.rawFlag)).toBe(true);
    }
  }
}

export type Outcome = 'refused' | 'plausible' | 'implausible';

/** Fails the property with the uncoded error itself, so fast-check reports (and shrinks) what threw. */
export function expectCoded(err: unknown): DetourwatchError {
  if (!(err instanceof DetourwatchError)) throw err;
  expect(ERROR_CODES).toContain(err.code);
  expect(err.message.length).toBeGreaterThan(0);
  return err;
}

/** The plausibility verdict on one parsed trace, with the shape of the result checked. */
export function judged(trace: Trace): Exclude<Outcome, 'refused'> {
  expectWellFormed(trace);
  const result = checkPlausibility(trace);
  expect(Number.isInteger(result.duplicates) && result.duplicates >= 0).toBe(true);
  if (result.ok) return 'plausible';
  expect(result.problems.length).toBeGreaterThan(0);
  for (const p of result.problems) {
    expect(PLAUSIBILITY_CODES).toContain(p.code);
    expect(p.message.length).toBeGreaterThan(0);
  }
  return 'implausible';
}

/** Runs `parse` and classifies what came of it; each trace is checked. */
export function outcomes(parse: () => Trace[]): Outcome[] {
  let traces: Trace[];
  try {
    traces = parse();
  } catch (err) {
    expectCoded(err);
    return ['refused'];
  }
  return traces.map(judged);
}

/** Tallies outcomes across runs, so a suite can show its inputs reached every branch (and was not vacuous). */
export class Tally {
  readonly counts: Record<Outcome, number> = { refused: 0, plausible: 0, implausible: 0 };

  add(list: readonly Outcome[]): void {
    for (const o of list) this.counts[o] += 1;
  }
}
