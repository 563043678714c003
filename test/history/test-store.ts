/**
 * Real stores for the tests, on every engine: SQLite in a temporary directory, and PostgreSQL in a database
 * of the test file's own (test/helpers/postgres.ts), emptied before each store. The store conformance
 * suites run once per engine:
 *
 *   const engines = await storeEngines('the trace store');   // top level of the test file
 *   describeEngines(engines, (engine) => {
 *     let env: TestStore;
 *     beforeEach(async () => { env = await engine.open(); });
 *     afterEach(() => env.cleanup());
 *     it('...', async () => { await env.store.writeResults(...); expect(await env.count('SELECT ...')) ... });
 *   });
 *
 * The PostgreSQL entry is skipped, loudly (`SKIPPED: <suite> on PostgreSQL because <reason>`), when no server
 * is available.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, inject } from 'vitest';
import { openPostgresStore } from '../../server/store/pg/open.ts';
import { DATABASE_FILE, openSqliteStore } from '../../server/store/sqlite/open.ts';
import type { Store } from '../../server/store/store.ts';
import {
  clusterUnavailable,
  type PostgresForTests,
  resetDatabase,
  startCluster,
  TEST_DATABASE_URL_ENV,
  testDatabase,
} from '../helpers/postgres.ts';
import { requirement, SKIP_REASONS, type SkipOptions, skipUnless } from '../helpers/skips.ts';

/** A real store (SQLite in a temporary directory, at the newest schema). */
export function openTestStore(): { store: Store; dir: string; cleanup(): Promise<void> } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'detourwatch-history-'));
  const store = openSqliteStore({ dataDir: dir, create: true });
  return {
    store,
    dir,
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type EngineName = 'SQLite' | 'PostgreSQL';

/** One store of a test, on one engine. */
export interface TestStore {
  readonly engine: EngineName;
  /** The open store; `reopen` replaces it. */
  store: Store;
  /** A temporary directory of the test's own (SQLite's data directory is `dir/data`). */
  readonly dir: string;
  /** How a command names this store: `--data DIR` or `--database URL`. */
  readonly cliArgs: string[];
  /** Closes the store and opens the same data again, as a restarted coordinator would. */
  reopen(options?: { create?: boolean }): Promise<Store>;
  /**
   * Rows straight from the engine's tables, for what the store's interfaces do not show (raw hop rows).
   * Parameters are `?`; plain SELECTs read the same on both engines (flags are 0/1 on SQLite, booleans on
   * PostgreSQL; counts are numbers on both).
   */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** One number (`SELECT COUNT(*) ...`). */
  count(sql: string, params?: unknown[]): Promise<number>;
  cleanup(): Promise<void>;
}

export interface TestEngine {
  name: EngineName;
  /** What the suite tests, for its name and the SKIPPED line. */
  suite: string;
  /** The suite's options: skipped (with the reason recorded) where the engine is not available. */
  options: SkipOptions;
  open(): Promise<TestStore>;
}

function sqliteEngine(suite: string): TestEngine {
  return {
    name: 'SQLite',
    suite,
    options: { skip: false, meta: {} },
    async open() {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'dw-store-'));
      const dataDir = path.join(dir, 'data');
      const env: TestStore = {
        engine: 'SQLite',
        store: openSqliteStore({ dataDir, create: true }),
        dir,
        cliArgs: ['--data', dataDir],
        async reopen(options = {}) {
          await env.store.close();
          env.store = openSqliteStore({ dataDir, create: options.create ?? false });
          return env.store;
        },
        async query<T>(sql: string, params: unknown[] = []) {
          const db = new Database(path.join(dataDir, DATABASE_FILE), { readonly: true });
          try {
            return db.prepare(sql).all(...params) as T[];
          } finally {
            db.close();
          }
        },
        async count(sql, params = []) {
          const [first] = await env.query<Record<string, unknown>>(sql, params);
          return Number(Object.values(first ?? {})[0]);
        },
        async cleanup() {
          await env.store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
      return env;
    },
  };
}

function postgresEngine(available: PostgresForTests & { databaseUrl?: string }, suite: string): TestEngine {
  const options =
    available.url === null
      ? skipUnless(`${suite} on PostgreSQL`, requirement(false, SKIP_REASONS.postgres, available.reason))
      : { skip: false, meta: {} };
  return {
    name: 'PostgreSQL',
    suite,
    options,
    async open() {
      const url = available.databaseUrl;
      if (url === undefined)
        throw new Error('no PostgreSQL test database (the suite should have been skipped)');
      await resetDatabase(url);
      const dir = mkdtempSync(path.join(os.tmpdir(), 'dw-store-'));
      let client: pg.Client | null = null;
      const env: TestStore = {
        engine: 'PostgreSQL',
        store: await openPostgresStore({ url, create: true }),
        dir,
        cliArgs: ['--database', url],
        async reopen(opts = {}) {
          await env.store.close();
          env.store = await openPostgresStore({ url, create: opts.create ?? false });
          return env.store;
        },
        async query<T>(sql: string, params: unknown[] = []) {
          if (client === null) {
            client = new pg.Client({ connectionString: url });
            await client.connect();
          }
          let n = 0;
          const result = await client.query(
            sql.replace(/\?/g, () => `$${++n}`),
            params,
          );
          // COUNT(*) and other bigints arrive as text: numbers, as SQLite gives them.
          return result.rows.map((r: Record<string, unknown>) =>
            Object.fromEntries(
              Object.entries(r).map(([k, v]) => [
                k,
                typeof v === 'string' && result.fields.find((f) => f.name === k)?.dataTypeID === 20
                  ? Number(v)
                  : v,
              ]),
            ),
          ) as T[];
        },
        async count(sql, params = []) {
          const [first] = await env.query<Record<string, unknown>>(sql, params);
          return Number(Object.values(first ?? {})[0]);
        },
        async cleanup() {
          await env.store.close();
          await (client as pg.Client | null)?.end();
          rmSync(dir, { recursive: true, force: true });
        },
      };
      return env;
    },
  };
}

let fileDatabase: Promise<PostgresForTests & { databaseUrl?: string }> | null = null;

/** The server the run provides (test/global-postgres.ts), else the variable, else a cluster of this file's. */
async function serverForThisFile(): Promise<PostgresForTests> {
  let provided: PostgresForTests | undefined;
  try {
    provided = inject('postgres');
  } catch {
    provided = undefined;
  }
  if (provided) return provided;
  const given = process.env[TEST_DATABASE_URL_ENV];
  if (given !== undefined && given !== '') return { url: given, reason: null };
  const unavailable = clusterUnavailable();
  if (unavailable !== null) return { url: null, reason: unavailable };
  // vitest.config.ts does not name test/global-postgres.ts as its globalSetup: start one for this file.
  const cluster = await startCluster();
  afterAll(() => cluster.stop());
  return { url: cluster.url, reason: null };
}

/** This file's PostgreSQL database (created once, dropped after the file), or why there is none. */
function postgresForThisFile(): Promise<PostgresForTests & { databaseUrl?: string }> {
  fileDatabase ??= (async () => {
    const server = await serverForThisFile();
    if (server.url === null) return server;
    try {
      const db = await testDatabase(server.url);
      afterAll(() => db.drop());
      return { ...server, databaseUrl: db.url };
    } catch (err) {
      return {
        url: null,
        reason: `cannot create a test database on ${server.url}: ${(err as Error).message}`,
      };
    }
  })();
  return fileDatabase;
}

/** The engines a store suite runs on: SQLite always, PostgreSQL where a server is available. */
export async function storeEngines(suite: string): Promise<TestEngine[]> {
  return [sqliteEngine(suite), postgresEngine(await postgresForThisFile(), suite)];
}

/** The suite once per engine ("on SQLite > the suite > ..."), each skipped as its engine says. */
export function describeEngines(engines: readonly TestEngine[], body: (engine: TestEngine) => void): void {
  describe.each(engines.map((engine) => ({ engine, name: engine.name })))('on $name', ({ engine }) => {
    describe(engine.suite, engine.options, () => body(engine));
  });
}
