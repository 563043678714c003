import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DetourwatchError } from '../../protocol/errors.ts';
import { parseTraces } from '../../server/parse/index.ts';
import type { AgentHello } from '../../server/store/agent-store.ts';
import { migrate } from '../../server/store/sqlite/migrate.ts';
import { DATABASE_FILE, openSqliteStore } from '../../server/store/sqlite/open.ts';
import { MIGRATIONS } from '../../server/store/sqlite/schema.ts';
import type { Store } from '../../server/store/store.ts';
import { hashToken } from '../../server/store/tokens.ts';
import type { ResultRecord } from '../../server/store/trace-store.ts';
import { createWorldAnalyzer } from '../helpers/analyze-world.ts';
import { AGENT_LOCATION, DETOUR_OUTPUT, DOMESTIC_OUTPUT } from '../integration/coordinator-harness.ts';

const analyzer = createWorldAnalyzer();

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

function hello(tokenId: number, at: string, overrides: Partial<AgentHello> = {}): AgentHello {
  return {
    tokenId,
    name: 'sfo-volunteer',
    location: AGENT_LOCATION,
    engines: ['scamper', 'traceroute'],
    limits: { maxConcurrent: 2, maxPerMinute: 30 },
    agentVersion: '0.1.0',
    protocolVersion: 1,
    address: '198.51.100.9',
    at,
    ...overrides,
  };
}

async function agentId(): Promise<string> {
  const token = await store.createToken('sfo-volunteer', hashToken('t'), '2026-01-01T00:00:00.000Z');
  return (await store.recordHello(hello(token.id, '2026-01-01T00:00:01.000Z'))).id;
}

function result(agent: string, resultId: string, output: string): ResultRecord {
  const traces = parseTraces(output, 'traceroute').map((trace) => ({
    origin: 'agent' as const,
    agentId: agent,
    trace,
    verdict: analyzer.analyze(trace, { ...AGENT_LOCATION, source: 'declared' }),
  }));
  return {
    resultId,
    agentId: agent,
    taskId: 'tk_1',
    target: traces[0]?.trace.destination.address ?? 'unknown',
    engine: 'traceroute',
    startedAt: '2026-03-01T12:00:00.000Z',
    durationMs: 800,
    receivedAt: '2026-03-01T12:00:01.000Z',
    output,
    error: null,
    traces,
  };
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

describe('tokens', () => {
  it('keeps only the hash, finds by hash, revokes once', async () => {
    const created = await store.createToken('nyc', hashToken('secret-token'), '2026-02-01T00:00:00.000Z');
    expect(created).toEqual({
      id: created.id,
      name: 'nyc',
      createdAt: '2026-02-01T00:00:00.000Z',
      revokedAt: null,
    });
    const stored = peek((db) => db.prepare('SELECT * FROM tokens').all());
    expect(JSON.stringify(stored)).not.toContain('secret-token');
    expect(await store.findTokenByHash(hashToken('secret-token'))).toEqual(created);
    expect(await store.findTokenByHash(hashToken('other'))).toBeNull();
    expect(await store.revokeToken(created.id, '2026-02-02T00:00:00.000Z')).toBe('revoked');
    expect(await store.revokeToken(created.id, '2026-02-03T00:00:00.000Z')).toBe('already-revoked');
    expect(await store.revokeToken(created.id + 100, '2026-02-03T00:00:00.000Z')).toBe('not-found');
    expect((await store.findTokenByHash(hashToken('secret-token')))?.revokedAt).toBe(
      '2026-02-02T00:00:00.000Z',
    );
  });
});

describe('agents', () => {
  it('a first hello creates the agent, later ones update it under the same id', async () => {
    const token = await store.createToken('sfo', hashToken('a'), '2026-01-01T00:00:00.000Z');
    const first = await store.recordHello(hello(token.id, '2026-01-01T00:00:01.000Z'));
    expect(first).toMatchObject({ tokenId: token.id, connected: true, engines: ['scamper', 'traceroute'] });
    const second = await store.recordHello(
      hello(token.id, '2026-01-02T00:00:00.000Z', {
        location: null,
        engines: ['mtr'],
        agentVersion: '0.2.0',
      }),
    );
    expect(second.id).toBe(first.id);
    expect(second).toMatchObject({ location: null, engines: ['mtr'], agentVersion: '0.2.0' });
    expect(second.firstSeen).toBe('2026-01-01T00:00:01.000Z');
    expect(second.lastSeen).toBe('2026-01-02T00:00:00.000Z');
    await store.markDisconnected(first.id, '2026-01-02T00:05:00.000Z');
    expect(await store.getAgent(first.id)).toMatchObject({
      connected: false,
      lastSeen: '2026-01-02T00:05:00.000Z',
    });
  });

  it('markAllDisconnected clears every connected flag (a fresh coordinator has no connections)', async () => {
    const id = await agentId();
    expect((await store.getAgent(id))?.connected).toBe(true);
    await store.markAllDisconnected();
    expect((await store.listAgents()).map((a) => a.connected)).toEqual([false]);
  });

  it('touchAgents never moves last_seen backwards', async () => {
    const id = await agentId();
    await store.touchAgents([{ agentId: id, lastSeen: '2026-01-05T00:00:00.000Z' }]);
    await store.touchAgents([{ agentId: id, lastSeen: '2026-01-04T00:00:00.000Z' }]);
    expect((await store.getAgent(id))?.lastSeen).toBe('2026-01-05T00:00:00.000Z');
  });
});

describe('results and traces', () => {
  it('stores a result once: a repeat of its resultId is a duplicate and writes nothing', async () => {
    const id = await agentId();
    const record = result(id, 'result-aaaa-0001', DETOUR_OUTPUT);
    expect(await store.writeResults([record])).toEqual(['stored']);
    expect(await store.writeResults([record])).toEqual(['duplicate']);
    expect(await store.writeResults([result(id, 'result-aaaa-0002', DOMESTIC_OUTPUT), record])).toEqual([
      'stored',
      'duplicate',
    ]);
    const counts = peek((db) => ({
      results: db.prepare('SELECT COUNT(*) FROM results').pluck().get(),
      traces: db.prepare('SELECT COUNT(*) FROM traces').pluck().get(),
    }));
    expect(counts).toEqual({ results: 2, traces: 2 });
  });

  it('the same resultId twice in one batch is stored once', async () => {
    const id = await agentId();
    const record = result(id, 'result-bbbb-0001', DETOUR_OUTPUT);
    expect(await store.writeResults([record, record])).toEqual(['stored', 'duplicate']);
  });

  it('keeps every responder per TTL, the verdict, and the foreign hops; reads them back', async () => {
    const id = await agentId();
    const record = result(id, 'result-cccc-0001', DETOUR_OUTPUT);
    await store.writeResults([record]);
    const [summary] = await store.listTraces({ limit: 10 });
    expect(summary).toMatchObject({
      origin: 'agent',
      agentId: id,
      resultId: 'result-cccc-0001',
      destinationIp: '192.0.2.50',
      tool: 'traceroute',
      verdict: record.traces[0]?.verdict.verdict,
      foreignCountries: ['CN'],
      foreignAsns: [4134],
      startedAt: record.startedAt,
    });
    const trace = await store.getTrace(summary?.id ?? -1);
    expect(trace?.verdictDetail).toEqual(record.traces[0]?.verdict);
    const replies = record.traces[0]?.trace.hops ?? [];
    // One row per distinct address per TTL, one row for a silent TTL.
    const expectedRows = replies.reduce((n, h) => {
      const distinct = new Set(h.replies.flatMap((r) => (r.address ? [r.address] : []))).size;
      return n + Math.max(1, distinct);
    }, 0);
    expect(trace?.hops).toHaveLength(expectedRows);
    // The Shanghai router (198.51.100.0/25, AS4134 in the test world) with its lowest RTT.
    const shanghaiRtts = replies[1]?.replies.flatMap((r) => (r.rttMs === null ? [] : [r.rttMs])) ?? [];
    expect(trace?.hops.find((h) => h.ip === '198.51.100.7')).toMatchObject({
      ttl: 2,
      country: 'CN',
      asn: 4134,
      rttMs: Math.min(...shanghaiRtts),
    });
    expect(trace?.hops.find((h) => h.ttl === 3)).toMatchObject({ ip: null, status: 'no-reply', replies: 0 });
    const foreign = peek((db) => db.prepare('SELECT ttl, ip, country, asn FROM foreign_hops').all());
    expect(foreign).toEqual([{ ttl: 2, ip: '198.51.100.7', country: 'CN', asn: 4134 }]);
  });

  it('a result that did not parse is stored raw with its error and no trace', async () => {
    const id = await agentId();
    const record = {
      ...result(id, 'result-dddd-0001', DETOUR_OUTPUT),
      output: 'garbage',
      error: 'cannot parse',
      traces: [],
    };
    expect(await store.writeResults([record])).toEqual(['stored']);
    expect(await store.counts()).toMatchObject({ results: 1, resultsWithErrors: 1, traces: 0 });
    const row = peek((db) => db.prepare('SELECT output, error FROM results').get());
    expect(row).toEqual({ output: 'garbage', error: 'cannot parse' });
  });

  it('a failing record rolls back its whole batch (one transaction)', async () => {
    const id = await agentId();
    const good = result(id, 'result-eeee-0001', DOMESTIC_OUTPUT);
    const bad = { ...result(id, 'result-eeee-0002', DOMESTIC_OUTPUT), agentId: 'no-such-agent' };
    await expect(store.writeResults([good, bad])).rejects.toThrow();
    expect((await store.counts()).results).toBe(0);
  });

  it('lists newest first and honours the limit', async () => {
    const id = await agentId();
    for (const [i, start] of [
      '2026-03-01T00:00:00.000Z',
      '2026-03-03T00:00:00.000Z',
      '2026-03-02T00:00:00.000Z',
    ].entries()) {
      await store.writeResults([{ ...result(id, `result-ffff-000${i}`, DOMESTIC_OUTPUT), startedAt: start }]);
    }
    const listed = await store.listTraces({ limit: 2 });
    expect(listed.map((t) => t.startedAt)).toEqual(['2026-03-03T00:00:00.000Z', '2026-03-02T00:00:00.000Z']);
  });
});
