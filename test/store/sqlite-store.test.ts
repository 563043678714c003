/**
 * What only the SQLite engine has: its file, WAL mode and its user_version migrations. What both engines
 * must do alike is the conformance suite (store.test.ts and the others that run on every engine).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DetourwatchError } from '../../protocol/errors.ts';
import { migrate } from '../../server/store/sqlite/migrate.ts';
import { DATABASE_FILE, openSqliteStore } from '../../server/store/sqlite/open.ts';
import { MIGRATIONS } from '../../server/store/sqlite/schema.ts';
import type { Store } from '../../server/store/store.ts';
import { hashToken } from '../../server/store/tokens.ts';

let dir: string;
let store: Store;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'detourwatch-store-'));
  store = openSqliteStore({ dataDir: dir, create: true });
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A second connection to the same file, as another process would open it. */
function peek<T>(read: (db: Database.Database) => T): T {
  const db = new Database(path.join(dir, DATABASE_FILE), { readonly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

describe('schema and migrations', () => {
  it('creates the schema at the newest version, in WAL mode', () => {
    const { version, mode } = peek((db) => ({
      version: db.pragma('user_version', { simple: true }),
      mode: db.pragma('journal_mode', { simple: true }),
    }));
    expect(version).toBe(MIGRATIONS.length);
    expect(mode).toBe('wal');
  });

  it('reopening an up-to-date database runs no migration and keeps the data', async () => {
    await store.createToken('kept', hashToken('k'), '2026-01-01T00:00:00.000Z');
    await store.close();
    store = openSqliteStore({ dataDir: dir, create: false });
    expect((await store.listTokens()).map((t) => t.name)).toEqual(['kept']);
  });

  it('applies only the migrations a database lacks, each once', () => {
    const db = new Database(':memory:');
    const steps = ['CREATE TABLE a (x INTEGER)', 'CREATE TABLE b (y INTEGER)'];
    expect(migrate(db, steps.slice(0, 1))).toEqual({ from: 0, to: 1 });
    expect(migrate(db, steps)).toEqual({ from: 1, to: 2 });
    expect(migrate(db, steps)).toEqual({ from: 2, to: 2 });
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .pluck()
      .all();
    expect(tables).toEqual(['a', 'b']);
    db.close();
  });

  it('refuses a database written by a newer release', async () => {
    await store.close();
    const db = new Database(path.join(dir, DATABASE_FILE));
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    expect(() => openSqliteStore({ dataDir: dir, create: false })).toThrow(/newer release/);
    const restore = new Database(path.join(dir, DATABASE_FILE));
    restore.pragma(`user_version = ${MIGRATIONS.length}`);
    restore.close();
    store = openSqliteStore({ dataDir: dir, create: false });
  });

  it('without create, a missing database is an error naming the path', () => {
    const missing = path.join(dir, 'nothing-here');
    let caught: unknown;
    try {
      openSqliteStore({ dataDir: missing, create: false });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DetourwatchError);
    expect((caught as DetourwatchError).code).toBe('STORE_FAILED');
    expect((caught as Error).message).toContain(missing);
    expect(existsSync(missing)).toBe(false);
  });

  it('a file that is not a database gives STORE_FAILED, not a crash', () => {
    const other = mkdtempSync(path.join(tmpdir(), 'detourwatch-store-'));
    writeFileSync(path.join(other, DATABASE_FILE), 'this is not SQLite '.repeat(100));
    expect(() => openSqliteStore({ dataDir: other, create: true })).toThrow(DetourwatchError);
    rmSync(other, { recursive: true, force: true });
  });
});
