import { DetourwatchError } from '../../protocol/errors.ts';
import { type EngineSpec, PROBES_PER_HOP, REPLY_WAIT_SECONDS } from './types.ts';

function hasHubs(output: string): boolean {
  try {
    const doc = JSON.parse(output) as { report?: { hubs?: unknown } } | null;
    return Array.isArray(doc?.report?.hubs);
  } catch {
    return false;
  }
}

/**
 * mtr (Debian mtr-tiny 0.95) in report mode with JSON output. mtr keeps the echo identifier but changes the
 * sequence number per probe, so it is not flow-stable. The interval stays at one second because mtr refuses
 * shorter ones to non-root users; the grace time is how long it waits for the last replies.
 */
export const mtr: EngineSpec = {
  name: 'mtr',
  binary: 'mtr',
  format: 'mtr',
  versionArgs: ['-v'],
  versionPattern: /^mtr \d+\.\d+/m,
  method: (protocol) => protocol,
  args(target, settings) {
    return [
      '--json',
      '-n',
      `-${target.version}`,
      '-c',
      String(PROBES_PER_HOP),
      '-i',
      '1',
      '-G',
      String(REPLY_WAIT_SECONDS),
      '-m',
      String(settings.maxHops),
      ...(settings.protocol === 'udp' ? ['-u'] : []),
      '--',
      target.address,
    ];
  },
  checkOutput(output) {
    if (!hasHubs(output)) {
      throw new DetourwatchError('ENGINE_FAILED', 'mtr printed no JSON report with a "report.hubs" list');
    }
  },
};
