/**
 * Generated stores are kept in bench/results/cache (git-ignored) and reused while nothing they depend on
 * changed: the schema's migrations, the generator's options and GENERATOR_VERSION. A million traces take
 * about two minutes to generate on the reference machine and about 6 GB of disk. On PostgreSQL the store is
 * a database on the bench's server (pg-cluster.ts, whose cluster lives in the same cache), keyed the same
 * way with PostgreSQL's migrations and the server, and reused while it still holds what was generated.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openStore } from '../../server/store/open-store.ts';
import { MIGRATIONS as PG_MIGRATIONS } from '../../server/store/pg/schema.ts';
import { MIGRATIONS } from '../../server/store/sqlite/schema.ts';
import { runInChild } from '../child.ts';
import { REPO_ROOT } from '../fixtures.ts';
import type { PgServer } from '../pg-cluster.ts';
import type { GeneratedStore, GenerateOptions } from './generate-store.ts';

/** Bump when the generator writes different rows for the same options. */
const GENERATOR_VERSION = 2;
const CACHE = path.join(REPO_ROOT, 'bench/results/cache');
const MARKER = 'generated.json';

export interface CachedStore extends GeneratedStore {
  dataDir: string;
  /** On PostgreSQL: the database's URL (dataDir then holds only serve's other files). */
  database?: string;
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

/** Still there and whole: the database holds the traces the marker says it was generated with. */
async function holds(url: string, generated: GeneratedStore, dataDir: string): Promise<boolean> {
  try {
    const store = await openStore({ dataDir, database: url, create: false });
    try {
      return (await store.historyCounts()).traces === generated.traces;
    } finally {
      await store.close();
    }
  } catch {
    return false;
  }
}

export async function cachedPgStore(
  name: string,
  options: Omit<GenerateOptions, 'dataDir' | 'database'>,
  fresh: boolean,
  server: PgServer,
): Promise<CachedStore> {
  const key = createHash('sha256')
    .update(JSON.stringify({ PG_MIGRATIONS, GENERATOR_VERSION, options, server: server.identity }))
    .digest('hex')
    .slice(0, 12);
  const entry = `pg-${name}-${key}`;
  const dataDir = path.join(CACHE, entry);
  const database = entry.replaceAll('-', '_');
  const url = new URL(server.adminUrl);
  url.pathname = `/${database}`;
  const marker = path.join(dataDir, MARKER);
  if (!fresh && existsSync(marker)) {
    const generated = JSON.parse(readFileSync(marker, 'utf8')) as GeneratedStore;
    if (await holds(url.toString(), generated, dataDir)) {
      return { ...generated, dataDir, database: url.toString(), reused: true };
    }
  }
  if (existsSync(CACHE)) {
    for (const old of readdirSync(CACHE).filter((e) => e.startsWith(`pg-${name}-`))) {
      await server.dropDatabase(old.replaceAll('-', '_'));
      rmSync(path.join(CACHE, old), { recursive: true, force: true });
    }
  }
  await server.dropDatabase(database);
  mkdirSync(dataDir, { recursive: true });
  const created = await server.createDatabase(database);
  const generated = await runInChild<GeneratedStore>(
    new URL('./generate-store.ts', import.meta.url),
    'generateStore',
    [{ ...options, dataDir, database: created }],
    3_600_000,
  );
  await server.vacuumAnalyze(database);
  writeFileSync(marker, `${JSON.stringify(generated)}\n`);
  return { ...generated, dataDir, database: created, reused: false };
}
