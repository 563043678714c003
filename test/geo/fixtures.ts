import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The third-party fixtures live beside the repository (../shared/fixtures); a fresh clone has none. */
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const fixturesDir = path.resolve(repoRoot, '../shared/fixtures');
export const maxmindDir = path.join(fixturesDir, 'maxmind/MaxMind-DB');
export const haveMaxmind = existsSync(path.join(maxmindDir, 'test-data'));

export function warnIfNoMaxmind(suite: string): void {
  if (!haveMaxmind) console.warn(`SKIPPED: ${suite} because ../shared/fixtures/maxmind/MaxMind-DB is absent`);
}
