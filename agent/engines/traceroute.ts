import { DetourwatchError } from '../../protocol/errors.ts';
import { type EngineSpec, PROBES_PER_HOP, REPLY_WAIT_SECONDS } from './types.ts';

/**
 * Classic traceroute (Debian traceroute 2.1). Neither of its methods is flow-stable: UDP changes the
 * destination port and ICMP the sequence number per probe. `-I` (ICMP echo) needs root or CAP_NET_RAW.
 */
export const traceroute: EngineSpec = {
  name: 'traceroute',
  binary: 'traceroute',
  format: 'traceroute',
  versionArgs: ['-V'],
  versionPattern: /^Modern traceroute for Linux, version \d/m,
  method: (protocol) => protocol,
  args(target, settings) {
    return [
      `-${target.version}`,
      '-n',
      '-q',
      String(PROBES_PER_HOP),
      '-w',
      String(REPLY_WAIT_SECONDS),
      '-m',
      String(settings.maxHops),
      ...(settings.protocol === 'icmp' ? ['-I'] : []),
      '--',
      target.address,
    ];
  },
  checkOutput(output) {
    if (!output.startsWith('traceroute to ')) {
      throw new DetourwatchError('ENGINE_FAILED', 'traceroute printed no "traceroute to ..." header line');
    }
  },
};
