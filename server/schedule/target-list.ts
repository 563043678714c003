import { describeError } from '../../protocol/errors.ts';
import { parseTarget } from '../../protocol/target.ts';

/** A valid target as the agents will see it: an address or a lower-case hostname. */
export function normaliseTarget(input: string): string {
  const parsed = parseTarget(input);
  return parsed.kind === 'address' ? parsed.address : parsed.name;
}

/**
 * Reads a target list: one IP address or hostname per line, `#` starts a comment, blank lines are ignored.
 * Bad lines are reported with their line number and skipped, so one typo does not empty the catalogue.
 */
export function parseTargetList(text: string, label: string): { targets: string[]; problems: string[] } {
  const targets = new Set<string>();
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const entry = line.replace(/#.*/, '').trim();
    if (entry === '') return;
    try {
      targets.add(normaliseTarget(entry));
    } catch (err) {
      problems.push(`${label}:${i + 1}: ${describeError(err)}`);
    }
  });
  return { targets: [...targets], problems };
}
