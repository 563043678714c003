/**
 * Generated stores are kept in bench/results/cache (git-ignored) and reused while nothing they depend on
 * changed: the schema's migrations, the generator's options and GENERATOR_VERSION. A million traces take
 * about two minutes to generate on the reference machine and about 6 GB of disk.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MIGRATIONS } from '../../server/store/sqlite/schema.ts';
import { runInChild } from '../child.ts';
import { REPO_ROOT } from '../fixtures.ts';
import type { GeneratedStore, GenerateOptions } from './generate-store.ts';

/** Bump when the generator writes different rows for the same options. */
const GENERATOR_VERSION = 2;
const CACHE = path.join(REPO_ROOT, 'bench/results/cache');
const MARKER = 'generated.json';

export interface CachedStore extends GeneratedStore {
  dataDir: string;
  /** False when this run generated it. */
  reused: boolean;
}

export async function cachedStore(
  name: string,
  options: Omit<GenerateOptions, 'dataDir'>,
  fresh: boolean,
): Promise<CachedStore> {
  const key = createHash('sha256')
    .update(JSON.stringify({ MIGRATIONS, GENERATOR_VERSION, options }))
    .digest('hex')
    .slice(0, 12);
  const dataDir = path.join(CACHE, `${name}-${key}`);
  const marker = path.join(dataDir, MARKER);
  if (!fresh && existsSync(marker)) {
    return { ...(JSON.parse(readFileSync(marker, 'utf8')) as GeneratedStore), dataDir, reused: true };
  }
  // Older generations of this store (another schema or generator) only take disk space.
  if (existsSync(CACHE)) {
    for (const entry of readdirSync(CACHE).filter((e) => e.startsWith(`${name}-`))) {
      rmSync(path.join(CACHE, entry), { recursive: true, force: true });
    }
  }
  mkdirSync(dataDir, { recursive: true });
  const generated = await runInChild<GeneratedStore>(
    new URL('./generate-store.ts', import.meta.url),
    'generateStore',
    [{ ...options, dataDir }],
    1_800_000,
  );
  writeFileSync(marker, `${JSON.stringify(generated)}\n`);
  return { ...generated, dataDir, reused: false };
}
