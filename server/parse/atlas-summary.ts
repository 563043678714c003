/**
 * The per-result summaries RIPE's own parser (ripe-atlas-sagan) computes, reproduced over the canonical
 * Trace so imported Atlas data can be summarised (and checked against sagan) the way Atlas users expect.
 * They read only what the Trace keeps: hops as Atlas listed them (hop 255 and error-only hops included,
 * late packets already dropped), reply addresses, RTTs and error flags.
 */
import type { Hop, Reply, Trace } from '../../protocol/trace.ts';

/** sagan rounds RTTs and medians to microseconds. */
export function roundRtt(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** Median RTT of a hop's answered packets, or null when none answered. */
export function hopMedianRtt(hop: Hop): number | null {
  const rtts: number[] = [];
  for (const reply of hop.replies) if (reply.rttMs !== null) rtts.push(roundRtt(reply.rttMs));
  if (rtts.length === 0) return null;
  rtts.sort((a, b) => a - b);
  const mid = rtts.length >> 1;
  const median =
    rtts.length % 2 === 1 ? (rtts[mid] as number) : ((rtts[mid - 1] as number) + (rtts[mid] as number)) / 2;
  return roundRtt(median);
}

/** The median RTT of the last hop that has any RTT, searching backwards. */
export function lastMedianRtt(trace: Trace): number | null {
  for (let i = trace.hops.length - 1; i >= 0; i--) {
    const median = hopMedianRtt(trace.hops[i] as Hop);
    if (median !== null) return median;
  }
  return null;
}

/** Each hop's packet origins, null for timeouts. */
export function ipPath(trace: Trace): (string | null)[][] {
  return trace.hops.map((hop) => hop.replies.map((reply) => reply.address));
}

function lastHop(trace: Trace): Hop | undefined {
  return trace.hops[trace.hops.length - 1];
}

/** Some packet of the last hop came from the destination address (false when the result has none). */
export function destinationIpResponded(trace: Trace): boolean {
  const dst = trace.destination.address;
  if (dst === null) return false;
  return lastHop(trace)?.replies.some((reply) => reply.address === dst) ?? false;
}

/** Some packet of the last hop has an RTT. */
export function lastHopResponded(trace: Trace): boolean {
  return lastHop(trace)?.replies.some((reply) => reply.rttMs !== null) ?? false;
}

/** Some packet of the last hop has an RTT and no ICMP error. */
export function isSuccess(trace: Trace): boolean {
  return lastHop(trace)?.replies.some((reply) => reply.rttMs !== null && reply.flag === undefined) ?? false;
}

/** sagan's wording for Atlas `err` letters; other codes are reported as written. */
const ERROR_MESSAGES: Record<string, string> = {
  N: 'Network unreachable',
  H: 'Destination unreachable',
  A: 'Administratively prohibited',
  P: 'Protocol unreachable',
  p: 'Port unreachable',
};

/** The error message of one packet, or null when it carried no error. */
export function packetErrorMessage(reply: Reply): string | null {
  if (reply.rawFlag === undefined) return null;
  return Object.hasOwn(ERROR_MESSAGES, reply.rawFlag)
    ? (ERROR_MESSAGES[reply.rawFlag] as string)
    : reply.rawFlag;
}

/** The error messages of the last hop's packets that carried one, in packet order. */
export function lastHopErrors(trace: Trace): string[] {
  const errors: string[] = [];
  for (const reply of lastHop(trace)?.replies ?? []) {
    const message = packetErrorMessage(reply);
    if (message !== null) errors.push(message);
  }
  return errors;
}
