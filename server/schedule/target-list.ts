import { DetourwatchError, describeError } from '../../protocol/errors.ts';
import type { Position } from '../../protocol/messages.ts';
import { parseTarget } from '../../protocol/target.ts';
import { parseLatLon } from '../../protocol/values/lat-lon.ts';

/** A valid target as the agents will see it: an address or a lower-case hostname. */
export function normaliseTarget(input: string): string {
  const parsed = parseTarget(input);
  return parsed.kind === 'address' ? parsed.address : parsed.name;
}

export interface TargetList {
  targets: string[];
  /** Landmarks: targets whose position the operator states (`ADDRESS LAT,LON`), by address. */
  landmarks: Map<string, Position>;
  problems: string[];
}

/** `TARGET LAT,LON`: numbers after the target make it a landmark (anything else is judged as one target). */
const WITH_POSITION = /^(\S+)\s+(-?[\d.]+\s*,\s*-?[\d.]+)$/;

/** One line's entry: a target, and the position the operator states for it. */
function parseEntry(entry: string): { target: string; position: Position | null } {
  const m = WITH_POSITION.exec(entry);
  if (!m) return { target: normaliseTarget(entry), position: null };
  const target = normaliseTarget(m[1] ?? '');
  const position = parseLatLon(m[2] ?? '');
  // A hostname can resolve anywhere; only an address pins what answered to the stated place.
  if (parseTarget(target).kind !== 'address') {
    throw new DetourwatchError('CONFIG_INVALID', `a landmark must be an IP address, not ${target}`);
  }
  return { target, position };
}

/**
 * Reads a target list: one IP address or hostname per line, optionally followed by the position the operator
 * states for it (`192.0.2.1 34.05,-118.24`: a landmark, server/trust/vantage.ts), `#` starts a comment, blank
 * lines are ignored. Bad lines are reported with their line number and skipped, so one typo does not empty the
 * catalogue.
 */
export function parseTargetList(text: string, label: string): TargetList {
  const targets = new Set<string>();
  const landmarks = new Map<string, Position>();
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const entry = line.replace(/#.*/, '').trim();
    if (entry === '') return;
    try {
      const { target, position } = parseEntry(entry);
      targets.add(target);
      if (position !== null) landmarks.set(target, position);
    } catch (err) {
      problems.push(`${label}:${i + 1}: ${describeError(err)}`);
    }
  });
  return { targets: [...targets], landmarks, problems };
}
