/**
 * The PostgreSQL server the PostgreSQL rows run on: DETOURWATCH_BENCH_DATABASE_URL when set (a server of
 * your own, reached with a role that may create databases), otherwise a cluster of Debian's PostgreSQL 15
 * kept in bench/results/cache/pg-cluster (git-ignored, so the generated query stores survive between
 * runs), started for a section on 127.0.0.1 and a free port as the `postgres` user (the server refuses to
 * run as root) and stopped after it. Production settings (fsync and synchronous commit on), as an operator
 * runs it. Databases are made and dropped with Debian's createdb/dropdb: bench/ speaks no SQL.
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './fixtures.ts';

const run = promisify(execFile);

export const BENCH_DATABASE_URL_ENV = 'DETOURWATCH_BENCH_DATABASE_URL';
const BIN = '/usr/lib/postgresql/15/bin';
export const CLUSTER_DIR = path.join(REPO_ROOT, 'bench/results/cache/pg-cluster');

export interface PgServer {
  /** postgres://USER@HOST:PORT/postgres: for naming databases on it. */
  adminUrl: string;
  /** Where cached stores are keyed: the same server answers the same key. */
  identity: string;
  /** A new empty database; its URL. */
  createDatabase(name: string): Promise<string>;
  dropDatabase(name: string): Promise<void>;
  /** What autovacuum does soon after a bulk load: statistics, and the visibility map index-only scans use. */
  vacuumAnalyze(name: string): Promise<void>;
  stop(): Promise<void>;
}

/** Why no PostgreSQL can be had for the bench, or null. */
export function pgUnavailable(): string | null {
  if (process.env[BENCH_DATABASE_URL_ENV]) return null;
  if (process.getuid?.() !== 0) {
    return `not root (the throw-away cluster runs as the postgres user, started with runuser); or set ${BENCH_DATABASE_URL_ENV}`;
  }
  if (!existsSync(path.join(BIN, 'initdb'))) {
    return `PostgreSQL 15 is not installed (${BIN}/initdb is missing: apt-get install postgresql); or set ${BENCH_DATABASE_URL_ENV}`;
  }
  return null;
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

function databaseUrl(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

function clientTool(tool: 'createdb' | 'dropdb', adminUrl: string, args: string[]) {
  const bin = existsSync(path.join(BIN, tool)) ? path.join(BIN, tool) : tool;
  return run(bin, [`--maintenance-db=${adminUrl}`, ...args], { timeout: 120_000 });
}

function server(adminUrl: string, identity: string, stop: () => Promise<void>): PgServer {
  return {
    adminUrl,
    identity,
    async createDatabase(name) {
      await clientTool('createdb', adminUrl, [name]);
      return databaseUrl(adminUrl, name);
    },
    async dropDatabase(name) {
      await clientTool('dropdb', adminUrl, ['--if-exists', '--force', name]);
    },
    async vacuumAnalyze(name) {
      await run(existsSync(path.join(BIN, 'vacuumdb')) ? path.join(BIN, 'vacuumdb') : 'vacuumdb', [
        '--analyze',
        '--quiet',
        `--dbname=${databaseUrl(adminUrl, name)}`,
      ]);
    },
    stop,
  };
}

/** The server for a section: the given one, or the cached cluster started (initdb the first time). */
export async function startPgServer(): Promise<PgServer> {
  const given = process.env[BENCH_DATABASE_URL_ENV];
  if (given) return server(given, given, async () => {});
  const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
  const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
  const data = path.join(CLUSTER_DIR, 'data');
  const asPostgres = (tool: string, args: string[]) =>
    run('runuser', ['-u', 'postgres', '--', path.join(BIN, tool), ...args], { timeout: 120_000 });
  mkdirSync(CLUSTER_DIR, { recursive: true });
  chownSync(CLUSTER_DIR, uid, gid);
  if (!existsSync(path.join(data, 'PG_VERSION'))) {
    await asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8']);
  }
  // A bench killed mid-run leaves its server up: stop it, then start on a port free now.
  await asPostgres('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']).catch(() => {});
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      await asPostgres('pg_ctl', [
        '-D',
        data,
        '-o',
        `-p ${port} -k ${CLUSTER_DIR} -c listen_addresses=127.0.0.1 -c max_connections=200`,
        '-l',
        path.join(CLUSTER_DIR, 'log'),
        '-w',
        'start',
      ]);
      return server(`postgres://postgres@127.0.0.1:${port}/postgres`, `cluster:${data}`, async () => {
        await asPostgres('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']).catch(() => {});
      });
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}
