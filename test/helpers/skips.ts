/**
 * One way to skip a test the machine cannot run: say so loudly (`SKIPPED: <what> because <why>`) and record
 * the reason on the skipped tests (vitest `meta.skipReason`), where the skip summary reporter
 * (test/setup/skip-summary-reporter.ts) groups them at the end of the run.
 *
 *   describe('real mtr', skipUnless('real mtr runs', installedEngine('mtr', available)), () => { ... });
 *   it('traces', skipUnless('traceroute -I', rootUsable()), async () => { ... });
 */
import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EngineName } from '../../agent/engines/types.ts';

declare module 'vitest' {
  interface TaskMeta {
    /** Why the test was skipped, as a group label ("not root", "no scamper/mtr/traceroute", ...). */
    skipReason?: string;
  }
}

/** Set to 1 and every root check here answers "not root", though the process runs as root (CI's bare pass). */
export const NO_ROOT_ENV = 'DETOURWATCH_TEST_NO_ROOT';

/** The group labels of the skip summary; a skip for another reason uses its own words. */
export const SKIP_REASONS = {
  tracer: 'no scamper/mtr/traceroute',
  root: 'not root',
  chromium: 'no Chromium',
  postgres: 'no PostgreSQL',
  sharedFixtures: 'no ../shared/fixtures',
} as const;

export interface Requirement {
  met: boolean;
  /** The group label the summary counts under. */
  reason: string;
  /** What exactly is missing and how to get it, for the SKIPPED line. */
  detail: string;
}

export function requirement(met: boolean, reason: string, detail: string): Requirement {
  return { met, reason, detail };
}

/** Root features (network namespaces, traceroute -I): root, unless DETOURWATCH_TEST_NO_ROOT=1 hides them. */
export function rootUsable(): Requirement {
  if (process.env[NO_ROOT_ENV] === '1') {
    return requirement(false, SKIP_REASONS.root, `${NO_ROOT_ENV}=1 hides root features`);
  }
  const root = process.getuid?.() === 0;
  return requirement(root, SKIP_REASONS.root, 'it needs root and this process is not root');
}

/** A traceroute engine the agent's own detection found (agent/engines/detect.ts: on PATH, answers -v). */
export function installedEngine(name: EngineName, available: readonly EngineName[]): Requirement {
  const pkg = name === 'mtr' ? 'mtr-tiny' : name;
  return requirement(
    available.includes(name),
    SKIP_REASONS.tracer,
    `${name} is not installed (apt-get install ${pkg})`,
  );
}

/** An executable named `name` in one of PATH's directories. */
export function onPath(name: string, pathVariable = process.env.PATH ?? ''): boolean {
  return pathVariable
    .split(path.delimiter)
    .filter((dir) => dir !== '')
    .some((dir) => {
      try {
        accessSync(path.join(dir, name), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** The third-party fixtures beside the repository (`../shared/fixtures`, optionally one folder of it). */
export function sharedFixtures(subdirectory = ''): Requirement {
  const shown = `../shared/fixtures${subdirectory ? `/${subdirectory}` : ''}`;
  return requirement(
    existsSync(path.resolve(repoRoot, '../shared/fixtures', subdirectory)),
    SKIP_REASONS.sharedFixtures,
    `${shown} is absent`,
  );
}

export interface SkipOptions {
  skip: boolean;
  meta: { skipReason?: string };
}

/**
 * Test or suite options (the second argument of `it`/`describe`) that skip when a requirement is not met,
 * printing `SKIPPED: <what> because <details>` once.
 */
export function skipUnless(what: string, ...requirements: Requirement[]): SkipOptions {
  const unmet = requirements.filter((r) => !r.met);
  if (unmet.length === 0) return { skip: false, meta: {} };
  console.warn(`SKIPPED: ${what} because ${unmet.map((r) => r.detail).join('; ')}`);
  return { skip: true, meta: { skipReason: [...new Set(unmet.map((r) => r.reason))].join(' and ') } };
}
