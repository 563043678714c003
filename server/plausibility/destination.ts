/** For agent results: the trace went to the task's target, not to an address the agent chose. */
import { parseIp } from '../../protocol/address/parse.ts';
import type { Trace } from '../../protocol/trace.ts';
import { type Findings, shown } from './findings.ts';

function hostname(name: string): string {
  return (name.endsWith('.') ? name.slice(0, -1) : name).toLowerCase();
}

/**
 * An address target must be the trace's destination address (both canonical). A hostname target is resolved
 * by the agent, which gives the tool the address: the output then names no host, and only a name it does
 * print (traceroute's "traceroute to NAME (ADDRESS)") can be compared.
 */
export function checkDestination(trace: Trace, expected: string | undefined, findings: Findings): void {
  if (expected === undefined) return;
  const target = parseIp(expected);
  const destination = trace.destination;
  if (target !== null) {
    if (destination.address !== target.address) {
      findings.report(
        'destination-not-target',
        null,
        `the trace went to ${shown(destination.address ?? 'an address it does not name')}, but the task's target is ${shown(target.address)}`,
      );
    }
    return;
  }
  if (destination.name !== undefined && hostname(destination.name) !== hostname(expected)) {
    findings.report(
      'destination-not-target',
      null,
      `the trace went to ${shown(destination.name)}, but the task's target is ${shown(expected)}`,
    );
  }
}
