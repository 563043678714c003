import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DetourwatchError, describeError } from '../../protocol/errors.ts';
import type { EngineName } from '../../protocol/messages.ts';
import type { ProbeMethod, TraceTool } from '../../protocol/trace.ts';
import type { Confidence, HopStatus, Verdict, VerdictKind } from '../../protocol/verdict.ts';
import { foreignCountries, foreignHopRows, hopRows } from './hop-rows.ts';
import { migrate } from './sqlite-migrate.ts';
import { MIGRATIONS } from './sqlite-schema.ts';
import type {
  AgentHello,
  AgentRecord,
  ImportRecord,
  ResultRecord,
  RevokeOutcome,
  Store,
  StoreCounts,
  StoredTrace,
  TokenRecord,
  TraceHook,
  TraceOrigin,
  TraceRecord,
  TraceSummary,
  WriteOutcome,
  WrittenTrace,
} from './store.ts';

export const DATABASE_FILE = 'detourwatch.sqlite';

export interface SqliteStoreOptions {
  dataDir: string;
  /** Create the directory and database when missing (serve, token create); false for read-only uses. */
  create: boolean;
}

interface TokenRow {
  id: number;
  name: string;
  created_at: number;
  revoked_at: number | null;
}

interface AgentRow {
  id: string;
  token_id: number;
  name: string;
  lat: number | null;
  lon: number | null;
  engines: string;
  max_concurrent: number | null;
  max_per_minute: number | null;
  agent_version: string | null;
  protocol_version: number | null;
  address: string | null;
  connected: number;
  first_seen: number;
  last_seen: number;
}

interface TraceRow {
  id: number;
  origin: TraceOrigin;
  agent_id: string | null;
  result_uid: string | null;
  source_ip: string | null;
  destination_ip: string | null;
  destination_name: string | null;
  tool: TraceTool;
  method: ProbeMethod;
  started_at: number;
  verdict: VerdictKind;
  confidence: Confidence | null;
  countries: string;
  foreign_countries: string;
  foreign_asns: string;
}

interface HopRowDb {
  ttl: number;
  ip: string | null;
  rtt_ms: number | null;
  replies: number;
  status: HopStatus | null;
  country: string | null;
  asn: number | null;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const ms = (time: string): number => {
  const t = Date.parse(time);
  if (Number.isNaN(t)) throw new DetourwatchError('STORE_FAILED', `"${time}" is not a time`);
  return t;
};

function tokenRecord(row: TokenRow): TokenRecord {
  return {
    id: row.id,
    name: row.name,
    createdAt: iso(row.created_at),
    revokedAt: row.revoked_at === null ? null : iso(row.revoked_at),
  };
}

function agentRecord(row: AgentRow): AgentRecord {
  return {
    id: row.id,
    tokenId: row.token_id,
    name: row.name,
    location: row.lat === null || row.lon === null ? null : { lat: row.lat, lon: row.lon },
    engines: JSON.parse(row.engines) as EngineName[],
    limits:
      row.max_concurrent === null || row.max_per_minute === null
        ? null
        : { maxConcurrent: row.max_concurrent, maxPerMinute: row.max_per_minute },
    agentVersion: row.agent_version,
    protocolVersion: row.protocol_version,
    address: row.address,
    connected: row.connected === 1,
    firstSeen: iso(row.first_seen),
    lastSeen: iso(row.last_seen),
  };
}

function traceSummary(row: TraceRow): TraceSummary {
  return {
    id: row.id,
    origin: row.origin,
    agentId: row.agent_id,
    resultId: row.result_uid,
    sourceIp: row.source_ip,
    destinationIp: row.destination_ip,
    destinationName: row.destination_name,
    tool: row.tool,
    method: row.method,
    startedAt: iso(row.started_at),
    verdict: row.verdict,
    confidence: row.confidence,
    countries: JSON.parse(row.countries) as string[],
    foreignCountries: JSON.parse(row.foreign_countries) as string[],
    foreignAsns: JSON.parse(row.foreign_asns) as number[],
  };
}

const TRACE_COLUMNS = `t.id, t.origin, t.agent_id, r.result_id AS result_uid, t.source_ip, t.destination_ip,
  t.destination_name, t.tool, t.method, t.started_at, t.verdict, t.confidence, t.countries,
  t.foreign_countries, t.foreign_asns`;

function openDatabase(file: string, create: boolean): Database.Database {
  try {
    return new Database(file, { fileMustExist: !create });
  } catch (err) {
    throw new DetourwatchError('STORE_FAILED', `cannot open the database ${file}: ${describeError(err)}`, {
      cause: err,
    });
  }
}

/**
 * Switching a fresh file to WAL needs an exclusive lock, and SQLite answers SQLITE_BUSY at once, without its
 * busy handler, when another process (`serve` and `token create` started together) holds the file: retry.
 */
function setJournalToWal(db: Database.Database): void {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let attempt = 1; ; attempt++) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY' || attempt >= 100) throw err;
      Atomics.wait(pause, 0, 0, 50);
    }
  }
}

/**
 * The embedded store: one SQLite file in WAL mode with synchronous=NORMAL. A committed transaction survives
 * a crash of this process; after an OS crash or power loss the last few commits may roll back although they
 * were acknowledged. That is NORMAL's documented trade-off against FULL, taken for ingest speed.
 */
export function openSqliteStore(options: SqliteStoreOptions): SqliteStore {
  const dir = path.resolve(options.dataDir);
  const file = path.join(dir, DATABASE_FILE);
  if (!options.create && !existsSync(file)) {
    throw new DetourwatchError(
      'STORE_FAILED',
      `no detourwatch database at ${file}: check --data (start \`detourwatch serve\` or \`detourwatch token create\` first)`,
    );
  }
  if (options.create) {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw new DetourwatchError(
        'STORE_FAILED',
        `cannot create the data directory ${dir}: ${describeError(err)}`,
      );
    }
  }
  const db = openDatabase(file, options.create);
  try {
    // `token create` and `serve` share the file: wait for the other's write instead of failing at once
    // (first, so that switching to WAL waits too).
    db.pragma('busy_timeout = 5000');
    // Ingest tuning measured by `npm run bench` (bench/README.md: the store's batched write ~50% faster):
    // 16 KiB pages (a trace is ~6 KB of rows: fewer pages, B-tree levels and WAL frames per trace; only a
    // database not yet written takes it, hence before WAL), a 64 MiB page cache so the indexes' inner pages
    // stay in memory as the tables grow, and a checkpoint every 4,000 pages (~64 MB of WAL) rather than 1,000.
    db.pragma('page_size = 16384');
    setJournalToWal(db);
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('cache_size = -65536');
    db.pragma('wal_autocheckpoint = 4000');
    migrate(db, MIGRATIONS);
  } catch (err) {
    db.close();
    if (err instanceof DetourwatchError) throw err;
    throw new DetourwatchError('STORE_FAILED', `cannot use the database ${file}: ${describeError(err)}`, {
      cause: err,
    });
  }
  return new SqliteStore(db, file);
}

function prepareStatements(db: Database.Database) {
  return {
    insertToken: db.prepare('INSERT INTO tokens (name, hash, created_at) VALUES (?, ?, ?)'),
    tokenById: db.prepare('SELECT id, name, created_at, revoked_at FROM tokens WHERE id = ?'),
    tokenByHash: db.prepare('SELECT id, name, created_at, revoked_at FROM tokens WHERE hash = ?'),
    listTokens: db.prepare('SELECT id, name, created_at, revoked_at FROM tokens ORDER BY id'),
    revoke: db.prepare('UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
    agentByToken: db.prepare('SELECT * FROM agents WHERE token_id = ?'),
    agentById: db.prepare('SELECT * FROM agents WHERE id = ?'),
    listAgents: db.prepare('SELECT * FROM agents ORDER BY name, id'),
    insertAgent: db.prepare(
      `INSERT INTO agents (id, token_id, name, lat, lon, engines, max_concurrent, max_per_minute, agent_version,
       protocol_version, address, connected, first_seen, last_seen)
     VALUES (@id, @tokenId, @name, @lat, @lon, @engines, @maxConcurrent, @maxPerMinute, @agentVersion,
       @protocolVersion, @address, 1, @at, @at)`,
    ),
    updateAgent: db.prepare(
      `UPDATE agents SET name = @name, lat = @lat, lon = @lon, engines = @engines, max_concurrent = @maxConcurrent,
       max_per_minute = @maxPerMinute, agent_version = @agentVersion, protocol_version = @protocolVersion,
       address = @address, connected = 1, last_seen = @at
     WHERE token_id = @tokenId`,
    ),
    disconnect: db.prepare('UPDATE agents SET connected = 0, last_seen = MAX(last_seen, ?) WHERE id = ?'),
    touch: db.prepare('UPDATE agents SET last_seen = MAX(last_seen, ?) WHERE id = ?'),
    disconnectAll: db.prepare('UPDATE agents SET connected = 0 WHERE connected = 1'),
    insertResult: db.prepare(
      `INSERT OR IGNORE INTO results (result_id, agent_id, task_id, target, engine, started_at, duration_ms,
       received_at, output, error)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertTrace: db.prepare(
      `INSERT INTO traces (result_id, origin, agent_id, source_ip, destination_ip, destination_name,
       tool, method, ip_version, started_at, verdict, confidence, home_country, countries, foreign_countries,
       foreign_asns, extra_km, verdict_json, source_lat, source_lon, path_asns, import_key)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    importKeyKnown: db.prepare('SELECT 1 FROM traces WHERE import_key = ?').pluck(),
    insertHop: db.prepare(
      `INSERT INTO hops (trace_id, ttl, seq, ip, rtt_ms, replies, status, country, asn)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertForeignHop: db.prepare(
      'INSERT INTO foreign_hops (trace_id, ttl, ip, country, asn, confirmed) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    trace: db.prepare(
      `SELECT ${TRACE_COLUMNS}, t.verdict_json FROM traces t LEFT JOIN results r ON r.id = t.result_id
     WHERE t.id = ?`,
    ),
    hops: db.prepare(
      'SELECT ttl, ip, rtt_ms, replies, status, country, asn FROM hops WHERE trace_id = ? ORDER BY ttl, seq',
    ),
    listTraces: db.prepare(
      `SELECT ${TRACE_COLUMNS} FROM traces t LEFT JOIN results r ON r.id = t.result_id
     ORDER BY t.started_at DESC, t.id DESC LIMIT ?`,
    ),
    counts: db.prepare(
      `SELECT (SELECT COUNT(*) FROM tokens) AS tokens,
       (SELECT COUNT(*) FROM agents) AS agents,
       (SELECT COUNT(*) FROM agents WHERE connected = 1) AS agentsConnected,
       (SELECT COUNT(*) FROM results) AS results,
       (SELECT COUNT(*) FROM results WHERE error IS NOT NULL) AS resultsWithErrors,
       (SELECT COUNT(*) FROM traces) AS traces`,
    ),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

export class SqliteStore implements Store {
  readonly description: string;
  readonly #db: Database.Database;
  readonly #s: Statements;
  #hook: TraceHook | null = null;

  constructor(db: Database.Database, file: string) {
    this.#db = db;
    this.description = `SQLite (WAL) at ${file}`;
    this.#s = prepareStatements(db);
  }

  async createToken(name: string, hash: string, at: string): Promise<TokenRecord> {
    const { lastInsertRowid } = this.#s.insertToken.run(name, hash, ms(at));
    return tokenRecord(this.#s.tokenById.get(lastInsertRowid) as TokenRow);
  }

  async listTokens(): Promise<TokenRecord[]> {
    return (this.#s.listTokens.all() as TokenRow[]).map(tokenRecord);
  }

  async findTokenByHash(hash: string): Promise<TokenRecord | null> {
    const row = this.#s.tokenByHash.get(hash) as TokenRow | undefined;
    return row ? tokenRecord(row) : null;
  }

  async revokeToken(id: number, at: string): Promise<RevokeOutcome> {
    if (this.#s.revoke.run(ms(at), id).changes === 1) return 'revoked';
    return this.#s.tokenById.get(id) ? 'already-revoked' : 'not-found';
  }

  async recordHello(hello: AgentHello): Promise<AgentRecord> {
    const params = {
      tokenId: hello.tokenId,
      name: hello.name,
      lat: hello.location?.lat ?? null,
      lon: hello.location?.lon ?? null,
      engines: JSON.stringify(hello.engines),
      maxConcurrent: hello.limits.maxConcurrent,
      maxPerMinute: hello.limits.maxPerMinute,
      agentVersion: hello.agentVersion,
      protocolVersion: hello.protocolVersion,
      address: hello.address,
      at: ms(hello.at),
    };
    const row = this.#db.transaction(() => {
      if (this.#s.updateAgent.run(params).changes === 0) {
        this.#s.insertAgent.run({ ...params, id: `ag_${randomBytes(9).toString('base64url')}` });
      }
      return this.#s.agentByToken.get(hello.tokenId) as AgentRow;
    })();
    return agentRecord(row);
  }

  async markDisconnected(agentId: string, lastSeen: string): Promise<void> {
    this.#s.disconnect.run(ms(lastSeen), agentId);
  }

  async touchAgents(seen: { agentId: string; lastSeen: string }[]): Promise<void> {
    this.#db.transaction(() => {
      for (const s of seen) this.#s.touch.run(ms(s.lastSeen), s.agentId);
    })();
  }

  async markAllDisconnected(): Promise<void> {
    this.#s.disconnectAll.run();
  }

  async getAgent(id: string): Promise<AgentRecord | null> {
    const row = this.#s.agentById.get(id) as AgentRow | undefined;
    return row ? agentRecord(row) : null;
  }

  async listAgents(): Promise<AgentRecord[]> {
    return (this.#s.listAgents.all() as AgentRow[]).map(agentRecord);
  }

  /**
   * The connection itself, for the history queries (incidents, detours, exports) that read with SQL this
   * interface does not model. Not part of `Store`: a PostgreSQL store would bring its own.
   */
  get database(): Database.Database {
    return this.#db;
  }

  setTraceHook(hook: TraceHook | null): void {
    this.#hook = hook;
  }

  /** Runs `write` in one transaction with the trace hook, then what the hook left for after the commit. */
  #withHook<T>(write: (written: WrittenTrace[]) => T): T {
    let after: (() => void) | undefined;
    const result = this.#db.transaction(() => {
      const written: WrittenTrace[] = [];
      const value = write(written);
      if (this.#hook && written.length > 0) after = this.#hook(written);
      return value;
    })();
    after?.();
    return result;
  }

  async writeResults(records: ResultRecord[]): Promise<WriteOutcome[]> {
    return this.#withHook((written) => records.map((r) => this.#writeResult(r, written)));
  }

  async knownImportKeys(keys: readonly string[]): Promise<Set<string>> {
    return new Set(keys.filter((k) => this.#s.importKeyKnown.get(k) !== undefined));
  }

  async writeImported(records: readonly ImportRecord[]): Promise<number> {
    return this.#withHook((written) => {
      let stored = 0;
      for (const r of records) {
        // Checked inside the write transaction, so no other writer can store the key in between.
        if (this.#s.importKeyKnown.get(r.importKey) !== undefined) continue;
        this.#writeTrace(null, r, null, written, r.importKey);
        stored++;
      }
      return stored;
    });
  }

  #writeResult(r: ResultRecord, written: WrittenTrace[]): WriteOutcome {
    const inserted = this.#s.insertResult.run(
      r.resultId,
      r.agentId,
      r.taskId,
      r.target,
      r.engine,
      ms(r.startedAt),
      r.durationMs,
      ms(r.receivedAt),
      r.output,
      r.error,
    );
    if (inserted.changes === 0) return 'duplicate';
    for (const t of r.traces) this.#writeTrace(Number(inserted.lastInsertRowid), t, r.startedAt, written);
    return 'stored';
  }

  /** Writes one trace with its hops and foreign hops, and notes it for the trace hook. */
  #writeTrace(
    resultRowId: number | null,
    record: TraceRecord,
    fallbackStart: string | null,
    written: WrittenTrace[],
    importKey: string | null = null,
  ): void {
    const { trace, verdict: v } = record;
    // A tool's own start time is untrusted text: fall back to the agent's (validated) one.
    const ownStart = Date.parse(trace.startedAt ?? '');
    if (Number.isNaN(ownStart) && fallbackStart === null) {
      throw new DetourwatchError('STORE_FAILED', 'an imported trace without a start time cannot be stored');
    }
    const startedAt = Number.isNaN(ownStart) ? ms(fallbackStart ?? '') : ownStart;
    const position = record.sourcePosition ?? null;
    const { lastInsertRowid } = this.#s.insertTrace.run(
      resultRowId,
      record.origin,
      record.agentId,
      trace.source.address,
      trace.destination.address,
      trace.destination.name ?? null,
      trace.tool,
      trace.method,
      trace.ipVersion,
      startedAt,
      v.verdict,
      v.confidence,
      v.homeCountry,
      JSON.stringify(v.countries),
      JSON.stringify(foreignCountries(v)),
      JSON.stringify(v.foreignAsns),
      v.extraKm,
      JSON.stringify(v),
      position?.lat ?? null,
      position?.lon ?? null,
      record.pathAsns ? JSON.stringify(record.pathAsns) : null,
      importKey,
    );
    for (const h of hopRows(trace, v)) {
      this.#s.insertHop.run(
        lastInsertRowid,
        h.ttl,
        h.seq,
        h.ip,
        h.rttMs,
        h.replies,
        h.status,
        h.country,
        h.asn,
      );
    }
    for (const f of foreignHopRows(v)) {
      this.#s.insertForeignHop.run(lastInsertRowid, f.ttl, f.ip, f.country, f.asn, f.confirmed ? 1 : 0);
    }
    written.push({ traceId: Number(lastInsertRowid), record, startedAt });
  }

  async getTrace(id: number): Promise<StoredTrace | null> {
    const row = this.#s.trace.get(id) as (TraceRow & { verdict_json: string }) | undefined;
    if (!row) return null;
    const hops = (this.#s.hops.all(id) as HopRowDb[]).map((h) => ({
      ttl: h.ttl,
      ip: h.ip,
      rttMs: h.rtt_ms,
      replies: h.replies,
      status: h.status,
      country: h.country,
      asn: h.asn,
    }));
    return { ...traceSummary(row), verdictDetail: JSON.parse(row.verdict_json) as Verdict, hops };
  }

  async listTraces(options: { limit: number }): Promise<TraceSummary[]> {
    return (this.#s.listTraces.all(options.limit) as TraceRow[]).map(traceSummary);
  }

  async counts(): Promise<StoreCounts> {
    return this.#s.counts.get() as StoreCounts;
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}
