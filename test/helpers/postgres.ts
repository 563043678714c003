/**
 * A real PostgreSQL for the tests: DETOURWATCH_TEST_DATABASE_URL when set (a server of your own, reached
 * with a role that may CREATE DATABASE), otherwise a throw-away cluster of Debian's PostgreSQL 15, started
 * ONCE per test run by test/global-postgres.ts (vitest globalSetup) on 127.0.0.1 and a free port, in a
 * temporary directory owned by `postgres` (the server refuses to run as root), and stopped at the end. Each
 * test file then works in a database of its own (`testDatabase`), dropped when the file is done.
 *
 * Without root, without the binaries, or with DETOURWATCH_TEST_NO_ROOT=1 (CI's bare pass), there is no
 * PostgreSQL: the suites that need it skip, saying why (test/helpers/skips.ts).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { rootUsable } from './skips.ts';

const run = promisify(execFile);

export const TEST_DATABASE_URL_ENV = 'DETOURWATCH_TEST_DATABASE_URL';
export const POSTGRES_BIN = '/usr/lib/postgresql/15/bin';

/** A server to test against, or why there is none. */
export type PostgresForTests = { url: string; reason: null } | { url: null; reason: string };

export interface Cluster {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  url: string;
  stop(): Promise<void>;
  /**
   * A crash: `pg_ctl stop -m immediate` ends every server process at once, without a checkpoint, so the
   * next start runs WAL crash recovery (PostgreSQL's documented crash shutdown).
   */
  crash(): Promise<void>;
  /** Starts the cluster again on the same port (after `crash`), waiting until it accepts connections. */
  restart(): Promise<void>;
}

export interface ClusterOptions {
  /** fsync as in production (default off: a test cluster is thrown away, and most tests measure nothing). */
  fsync?: boolean;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Why a throw-away cluster cannot be started here, or null when it can. */
export function clusterUnavailable(): string | null {
  const root = rootUsable();
  if (!root.met) return `${root.detail} (the cluster runs as the postgres user, started with runuser)`;
  if (!existsSync(path.join(POSTGRES_BIN, 'initdb')) || !existsSync(path.join(POSTGRES_BIN, 'pg_ctl'))) {
    return `PostgreSQL 15 is not installed (${POSTGRES_BIN}/initdb is missing: apt-get install postgresql)`;
  }
  return null;
}

/**
 * initdb + pg_ctl start as the postgres user (STACK.md): trust authentication, listening on 127.0.0.1 only,
 * its socket in its own directory; fsync off (a test cluster is thrown away, and the tests measure nothing).
 */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const { stdout } = await run('id', ['-u', 'postgres']);
  const { stdout: gid } = await run('id', ['-g', 'postgres']);
  const dir = mkdtempSync(path.join(tmpdir(), 'dw-pg-'));
  chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  const data = path.join(dir, 'data');
  const asPostgres = (tool: string, args: string[]) =>
    run('runuser', ['-u', 'postgres', '--', path.join(POSTGRES_BIN, tool), ...args], { timeout: 60_000 });
  try {
    await asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync']);
    let lastError: unknown;
    const fsync = options.fsync === true ? 'on' : 'off';
    const start = (port: number) =>
      asPostgres('pg_ctl', [
        '-D',
        data,
        '-o',
        `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=${fsync} -c max_connections=200`,
        '-l',
        path.join(dir, 'log'),
        '-w',
        'start',
      ]);
    // The free port may be taken between the look and the start: try another.
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      try {
        await start(port);
        return {
          url: `postgres://postgres@127.0.0.1:${port}/postgres`,
          async stop() {
            await asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {});
            rmSync(dir, { recursive: true, force: true });
          },
          async crash() {
            await asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
          },
          async restart() {
            await start(port);
          },
        };
      } catch (err) {
        lastError = err;
      }
    }
    throw lastError;
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** A database of its own for one test file, on the server at `adminUrl`; `drop` removes it. */
export async function testDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `dw_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/**
 * A fresh store per test: every table of the schema emptied and its ids restarted (faster than building the
 * schema again; the migration stays); with `schema`, everything dropped, so the store migrates from nothing.
 */
export async function resetDatabase(url: string, options: { schema?: boolean } = {}): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const tables = (
      await c.query<{ name: string }>(
        `SELECT format('%I', c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
           AND c.relname <> 'schema_migrations'`,
      )
    ).rows.map((r) => r.name);
    if (options.schema || tables.length === 0) {
      await c.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
    } else {
      // Referencing tables before the ones they reference, so no foreign key is in the way.
      const edges = (
        await c.query<{ child: string; parent: string }>(
          `SELECT k.conrelid::regclass::text AS child, k.confrelid::regclass::text AS parent
           FROM pg_constraint k WHERE k.contype = 'f' AND k.conrelid <> k.confrelid`,
        )
      ).rows;
      const ordered: string[] = [];
      const seen = new Set<string>();
      const visit = (t: string) => {
        if (seen.has(t)) return;
        seen.add(t);
        for (const e of edges) if (e.parent === t && tables.includes(e.child)) visit(e.child);
        ordered.push(t);
      };
      for (const t of tables) visit(t);
      // DELETE, not TRUNCATE: a test's few rows go at once, where TRUNCATE renews every partition's files.
      await c.query(`${ordered.map((t) => `DELETE FROM ${t};`).join(' ')}
        SELECT setval(format('%I', c.relname), 1, false) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'S'`);
    }
  } finally {
    await c.end();
  }
}
