import { DetourwatchError } from '../../protocol/errors.ts';
import { type EngineSpec, PROBES_PER_HOP, REPLY_WAIT_SECONDS } from './types.ts';

/** True when some line of scamper's JSON output is a trace record. */
function hasTraceRecord(output: string): boolean {
  for (const line of output.split('\n')) {
    if (!line.includes('"trace"')) continue;
    try {
      const record: unknown = JSON.parse(line);
      if (typeof record === 'object' && record !== null && (record as { type?: unknown }).type === 'trace') {
        return true;
      }
    } catch {
      // A torn or foreign line: keep looking, the check below reports the absence.
    }
  }
  return false;
}

/**
 * scamper (Debian 20211212). Paris traceroute keeps the flow identifier of every probe constant, so per-flow
 * load balancers send all probes down one path and consecutive hops are adjacent routers. `-Q` sends all
 * attempts even after a reply, giving PROBES_PER_HOP RTT samples per hop. `-i --` ends option parsing: what
 * follows is only ever taken as an address. Debian installs scamper setuid root (it drops privileges itself),
 * so it also runs for an unprivileged agent.
 */
export const scamper: EngineSpec = {
  name: 'scamper',
  binary: 'scamper',
  format: 'scamper',
  versionArgs: ['-v'],
  versionPattern: /^scamper version \d+/m,
  method: (protocol) => (protocol === 'icmp' ? 'icmp-paris' : 'udp-paris'),
  args(target, settings) {
    const method = settings.protocol === 'icmp' ? 'icmp-paris' : 'udp-paris';
    const trace = `trace -P ${method} -q ${PROBES_PER_HOP} -Q -w ${REPLY_WAIT_SECONDS} -m ${settings.maxHops}`;
    return ['-O', 'json', '-c', trace, '-i', '--', target.address];
  },
  checkOutput(output) {
    if (!hasTraceRecord(output)) {
      throw new DetourwatchError(
        'ENGINE_FAILED',
        'scamper printed no trace record (no line with "type":"trace")',
      );
    }
  },
};
