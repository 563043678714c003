import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../../..');
export const WEB_DIST = path.join(REPO_ROOT, 'web', 'dist');

const run = promisify(execFile);

function newestMtime(target: string): number {
  const stat = fs.statSync(target);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of fs.readdirSync(target))
    newest = Math.max(newest, newestMtime(path.join(target, entry)));
  return newest;
}

function isStale(): boolean {
  const built = path.join(WEB_DIST, 'index.html');
  if (!fs.existsSync(built)) return true;
  const sources = ['index.html', 'vite.config.ts', 'src'].map((p) => path.join(REPO_ROOT, 'web', p));
  return Math.max(...sources.map(newestMtime)) > fs.statSync(built).mtimeMs;
}

/**
 * Builds web/dist with the project's own vite config when it is missing or older than the sources: CI starts
 * from a clean clone, and a developer must never test yesterday's page. Test files running in parallel
 * take turns through a lock directory so only one build writes web/dist at a time.
 */
export async function ensureWebBuilt(): Promise<void> {
  const repoKey = createHash('sha256').update(REPO_ROOT).digest('hex').slice(0, 12);
  const lock = path.join(os.tmpdir(), `detourwatch-web-build-${repoKey}.lock`);
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch {
      // A lock older than any build can take was left by a killed run.
      const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 180_000) fs.rmSync(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    if (!isStale()) return;
    const vite = path.join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
    await run(process.execPath, [vite, 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], {
      cwd: REPO_ROOT,
      timeout: 120_000,
    });
  } finally {
    fs.rmdirSync(lock);
  }
}
