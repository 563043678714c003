/**
 * The numbers a trace is held to: the tool's own settings where its output states them (Trace.probing), else
 * what no supported tool exceeds.
 */
import type { Trace } from '../../protocol/trace.ts';
import { MAX_TTL } from '../parse/limits.ts';

/** RIPE Atlas waits at most 60 s for a reply (its longest response timeout); the other tools far less. */
export const DEFAULT_MAX_WAIT_MS = 60_000;

/** RIPE Atlas sends at most 16 packets to a TTL and Linux traceroute at most 10 queries (-q). */
export const DEFAULT_PROBES_PER_HOP = 16;

export interface Bounds {
  /** The highest TTL a hop may have. */
  maxTtl: number;
  /** Who set `maxTtl`, for messages. */
  maxTtlSaid: string;
  /** Probes (answered or not) one TTL may hold, and the highest attempt number. */
  probesPerHop: number;
  probesPerHopSaid: string;
  /** Answers the whole trace may hold, when the tool counted its probes. */
  probesSent: number | null;
  /** The latest an RTT may be, in ms. */
  listenMs: number;
  listenSaid: string;
}

function count(value: unknown): number | null {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : null;
}

export function boundsOf(trace: Trace): Bounds {
  const probing = trace.probing ?? {};
  const maxTtl = count(probing.maxTtl);
  const attempts = count(probing.attemptsPerHop);
  const probesSent = count(probing.probesSent);
  const listen = probing.listenMs;
  const listenStated = typeof listen === 'number' && Number.isFinite(listen) && listen > 0;
  const probesPerHop = attempts ?? probesSent ?? DEFAULT_PROBES_PER_HOP;
  return {
    // TTL is an 8-bit field: whatever a tool claims, nothing lies beyond 255.
    maxTtl: Math.min(maxTtl ?? MAX_TTL, MAX_TTL),
    maxTtlSaid:
      maxTtl !== null && maxTtl < MAX_TTL ? "the trace's maximum" : 'the largest TTL (an 8-bit field)',
    probesPerHop,
    probesPerHopSaid:
      attempts !== null
        ? 'the tool says it sent to each TTL'
        : probesSent !== null
          ? 'the tool says it sent in all'
          : 'any supported tool sends to one TTL',
    probesSent,
    listenMs: listenStated ? Math.min(listen, DEFAULT_MAX_WAIT_MS) : DEFAULT_MAX_WAIT_MS,
    listenSaid:
      listenStated && listen < DEFAULT_MAX_WAIT_MS
        ? 'the tool waited for replies'
        : 'any traceroute waits for a reply',
  };
}
