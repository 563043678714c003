/** TTLs rise from 1 to the trace's maximum, and nothing answers after the destination did. */
import type { Reply, Trace } from '../../protocol/trace.ts';
import type { Bounds } from './bounds.ts';
import { type Findings, shown } from './findings.ts';

export function checkTtls(trace: Trace, bounds: Bounds, findings: Findings): void {
  let previous: number | null = null;
  for (const hop of trace.hops) {
    const ttl = hop.ttl;
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > bounds.maxTtl) {
      findings.report(
        'ttl-out-of-range',
        ttl,
        `TTL ${shown(ttl)} is outside 1 and ${bounds.maxTtl}, ${bounds.maxTtlSaid}`,
      );
    }
    if (previous !== null && !(ttl > previous)) {
      findings.report(
        'ttl-not-rising',
        ttl,
        `TTL ${shown(ttl)} follows TTL ${shown(previous)}: a tool lists each TTL once, rising`,
      );
    }
    previous = ttl;
  }
}

function answered(reply: Reply): boolean {
  return reply.address !== null || reply.name !== undefined || reply.rttMs !== null;
}

/**
 * Tools stop at the TTL where the destination answered. MDA (scamper tracelb) is the exception that proves the
 * rule: load-balanced paths of different lengths reach the destination at several TTLs, so for it only the last
 * of them ends the trace.
 */
export function checkAfterDestination(trace: Trace, findings: Findings): void {
  const destination = trace.destination.address;
  if (destination === null) return;
  const multipath = trace.meta?.mda === true;
  let reachedAt: number | null = null;
  for (const hop of trace.hops) {
    if (!hop.replies.some((r) => r.address === destination)) continue;
    reachedAt = hop.ttl;
    if (!multipath) break;
  }
  if (reachedAt === null) return;
  for (const hop of trace.hops) {
    if (hop.ttl > reachedAt && hop.replies.some(answered)) {
      findings.report(
        'hop-after-destination',
        hop.ttl,
        `TTL ${shown(hop.ttl)} answered after the destination ${shown(destination)} did, at TTL ${shown(reachedAt)}`,
      );
    }
  }
}
