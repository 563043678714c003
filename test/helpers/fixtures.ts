import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The third-party fixtures beside the repository (`../shared/fixtures`), or null in a fresh clone, which
 * has none. Suites that read them skip when this is null and must say so with `warnSkipped`.
 */
export function sharedFixturesDir(): string | null {
  const dir = path.resolve(repoRoot, '../shared/fixtures');
  return existsSync(dir) ? dir : null;
}

/** The loud notice a suite prints when it skips for want of the shared fixtures. */
export function warnSkipped(suite: string, subdirectory = ''): void {
  console.warn(
    `SKIPPED: ${suite} because ../shared/fixtures${subdirectory ? `/${subdirectory}` : ''} is absent`,
  );
}
