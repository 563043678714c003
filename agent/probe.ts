import type { EngineName } from '../protocol/messages.ts';
import { checkTargetAddress, parseTarget } from '../protocol/target.ts';
import type { ProbeMethod } from '../protocol/trace.ts';
import { runTrace } from './engines/run.ts';

/** What one finished trace contributes to a result message. */
export interface TraceOutput {
  engine: EngineName;
  /** How the engine probed (its output does not always say). */
  method: ProbeMethod;
  output: string;
  startedAt: string;
  durationMs: number;
}

/** The agent's view of its traceroute engine: a cheap check on arrival, and the trace itself. */
export interface Probe {
  /** Throws TARGET_REFUSED for a target that must not be traced (before it waits in the queue). */
  check(target: string): void;
  trace(target: string, signal: AbortSignal): Promise<TraceOutput>;
}

/** A whole task, resolution plus tool: a 30-hop trace with 3 probes of 1 s each needs at most about 90 s. */
export const TASK_TIMEOUT_MS = 120_000;

/** The real engines: one tool chosen at start (agent/engines), targets validated before and during the run. */
export function engineProbe(engine: EngineName, allowSpecialTargets: boolean): Probe {
  return {
    check(target) {
      const parsed = parseTarget(target);
      // A hostname is range-checked after resolution, inside runTrace, on the address actually traced.
      if (parsed.kind === 'address') checkTargetAddress(parsed.address, allowSpecialTargets, target);
    },
    async trace(target, signal) {
      const r = await runTrace(engine, target, { timeoutMs: TASK_TIMEOUT_MS, signal, allowSpecialTargets });
      return {
        engine: r.engine,
        method: r.method,
        output: r.output,
        startedAt: r.startedAt,
        durationMs: r.durationMs,
      };
    },
  };
}
