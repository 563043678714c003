import type { ProbeMethod } from '../../protocol/trace.ts';

/**
 * Paris-style methods keep the flow identifier constant, so per-flow load balancers send every probe of the
 * trace along one path: the probe that reached TTL k+1 went through the router that answered at TTL k.
 * Classic traceroute (and mtr) change the flow per probe, so consecutive TTLs may lie on different paths.
 */
export function isFlowStable(method: ProbeMethod): boolean {
  return method === 'icmp-paris' || method === 'udp-paris' || method === 'tcp-paris';
}
