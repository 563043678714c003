/**
 * `detourwatch store copy`: an existing SQLite store moved into an empty PostgreSQL database, ids and all,
 * so every query answers the same afterwards (the links between rows, the cursors in bookmarked URLs, the
 * incident watermark).
 *
 * - The SQLite store is first brought to its newest schema (opened once as the product opens it), then read
 *   in ONE read transaction: a coordinator still writing to it does not make the copy inconsistent, and the
 *   counts verified at the end are those of the same snapshot.
 * - Every table is read in key order, a batch at a time (keyset pagination, no cursor held across awaits),
 *   and written as one statement per batch (`json_populate_recordset`, which maps the row objects onto the
 *   table's columns by name and converts SQLite's 0/1 flags and numbers to PostgreSQL's types). Only the
 *   columns both schemas have are copied; `hops`, `foreign_hops` and `incident_traces` gain their trace's
 *   start time (the partition key), SQLite's `traces.import_key` becomes `import_keys`.
 * - All of it is ONE PostgreSQL transaction, which also creates the month partitions it needs (nobody else
 *   uses the database yet): an interrupted copy leaves the target empty, and running it again starts over.
 *   A target that already holds data is refused.
 * - Before the commit, the rows of every table are counted on both sides; any difference rolls it all back.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import type pg from 'pg';
import { DetourwatchError } from '../../../protocol/errors.ts';
import { DATABASE_FILE, openSqliteStore } from '../sqlite/open.ts';
import { openPostgresStore } from './open.ts';
import { createPartitionSql, type Month, monthOf } from './partitions.ts';
import { row, rows } from './query.ts';

/** One table's copy: what to read from SQLite (alias and key columns) and where it goes. */
interface TableCopy {
  /** The PostgreSQL table. */
  target: string;
  /** SELECT list and FROM of the SQLite read; the key columns must be among the selected ones as k0, k1... */
  select: string;
  from: string;
  where?: string;
  /** The key, in order (SQLite expressions), for keyset pagination. */
  key: string[];
  /** Rows per batch. */
  batch: number;
  /** Counted in SQLite for the verification (defaults to the rows the read yields). */
  sourceCount: string;
  /** The partitioned table whose month each row needs (by its `started_at`). */
  partitioned?: 'traces' | 'hops';
}

const keyed = (key: string[]) => key.map((k, i) => `${k} AS k${i}`).join(', ');

/** The tables in the order their references need, as SQLite's schema has them. */
function tables(sqlite: Database.Database): TableCopy[] {
  const plain = (target: string, key: string, batch = 1000): TableCopy => ({
    target,
    select: `x.*, ${keyed([`x.${key}`])}`,
    from: `${target} x`,
    key: [`x.${key}`],
    batch,
    sourceCount: `SELECT COUNT(*) FROM ${target}`,
  });
  const withStart = (target: string, key: string[], batch: number): TableCopy => ({
    target,
    select: `x.*, t.started_at AS started_at, ${keyed(key)}`,
    from: `${target} x JOIN traces t ON t.id = x.trace_id`,
    key,
    batch,
    sourceCount: `SELECT COUNT(*) FROM ${target}`,
  });
  const known: TableCopy[] = [
    plain('tokens', 'id'),
    plain('agents', 'id'),
    plain('results', 'id', 200),
    { ...plain('traces', 'id', 1000), partitioned: 'traces' as const },
    {
      target: 'import_keys',
      // trace_id (issue 13): a saved paste's key names its trace, as on a store written by PostgreSQL.
      select: `x.import_key AS key, x.id AS trace_id, ${keyed(['x.id'])}`,
      from: 'traces x',
      where: 'x.import_key IS NOT NULL',
      key: ['x.id'],
      batch: 5000,
      sourceCount: 'SELECT COUNT(*) FROM traces WHERE import_key IS NOT NULL',
    },
    { ...withStart('hops', ['x.trace_id', 'x.ttl', 'x.seq'], 5000), partitioned: 'hops' as const },
    withStart('foreign_hops', ['x.rowid'], 5000),
    plain('incidents', 'id'),
    withStart('incident_traces', ['x.incident_id', 'x.trace_id'], 5000),
    plain('baselines', 'id'),
    plain('history_state', 'name'),
    plain('webhook_deliveries', 'id'),
  ];
  // Tables a later schema added, beyond those above: copied as they are, in the order they were created,
  // keyed by their primary key (or rowid).
  // Which coordinator runs which agent (issue 12) is the running coordinators' state, not the data: not copied.
  const RUNTIME = ['agent_leases', 'coordinator_instances'];
  const handled = new Set([...known.map((t) => t.target), 'import_keys', 'sqlite_sequence', ...RUNTIME]);
  const others = (
    sqlite
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid",
      )
      .pluck()
      .all() as string[]
  ).filter((name) => !handled.has(name));
  for (const name of others) {
    const pk = (sqlite.pragma(`table_info(${name})`) as { name: string; pk: number }[])
      .filter((c) => c.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((c) => `x.${c.name}`);
    const key = pk.length > 0 ? pk : ['x.rowid'];
    known.push({
      target: name,
      select: `x.*, ${keyed(key)}`,
      from: `${name} x`,
      key,
      batch: 1000,
      sourceCount: `SELECT COUNT(*) FROM ${name}`,
    });
  }
  return known;
}

export interface CopyProgress {
  table: string;
  copied: number;
  total: number;
}

export interface CopyCount {
  table: string;
  sqlite: number;
  postgres: number;
}

/** Tables that must be empty in the target (history_state holds the store's seed rows from the start). */
const MUST_BE_EMPTY = [
  'tokens',
  'agents',
  'results',
  'traces',
  'incidents',
  'baselines',
  'webhook_deliveries',
];

async function refuseNonEmpty(client: pg.ClientBase, shown: string): Promise<void> {
  const held: string[] = [];
  for (const table of MUST_BE_EMPTY) {
    const found = await row<{ n: number }>(
      client,
      `SELECT COUNT(*) AS n FROM (SELECT 1 FROM ${table} LIMIT 1) x`,
    );
    if ((found?.n ?? 0) > 0) held.push(table);
  }
  if (held.length > 0) {
    throw new DetourwatchError(
      'STORE_FAILED',
      `the database ${shown} already holds detourwatch data (${held.join(', ')}): store copy fills only an ` +
        'empty database, so that ids stay what they were; create a new one (createdb) and copy into it',
    );
  }
}

/** The PostgreSQL columns of `table`, in their order. */
async function columnsOf(client: pg.ClientBase, table: string): Promise<string[]> {
  return (
    await rows<{ name: string }>(
      client,
      `SELECT column_name AS name FROM information_schema.columns
       WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`,
      [table],
    )
  ).map((c) => c.name);
}

/** The months partitioned rows need, created in the copy's own transaction (no one else uses the database). */
async function ensureMonths(
  client: pg.ClientBase,
  table: 'traces' | 'hops',
  batch: readonly Record<string, unknown>[],
  created: Set<string>,
): Promise<void> {
  const months = new Set<Month>(batch.map((r) => monthOf(Number(r.started_at))));
  for (const month of months) {
    const id = `${table} ${month}`;
    if (created.has(id)) continue;
    await client.query(createPartitionSql(table, month));
    created.add(id);
  }
}

async function copyTable(
  sqlite: Database.Database,
  client: pg.ClientBase,
  spec: TableCopy,
  total: number,
  progress: (p: CopyProgress) => void,
  created: Set<string>,
): Promise<number> {
  const keys = spec.key.map((_, i) => `k${i}`);
  const after = `(${spec.key.join(', ')}) > (${spec.key.map(() => '?').join(', ')})`;
  const where = (first: boolean) => {
    const parts = [spec.where, first ? null : after].filter((p) => p !== undefined && p !== null);
    return parts.length === 0 ? '' : `WHERE ${parts.join(' AND ')}`;
  };
  const read = (first: boolean) =>
    sqlite.prepare(
      `SELECT ${spec.select} FROM ${spec.from} ${where(first)} ORDER BY ${spec.key.join(', ')} LIMIT ${spec.batch}`,
    );
  const firstRead = read(true);
  const nextRead = read(false);
  const targetColumns = new Set(await columnsOf(client, spec.target));
  if (targetColumns.size === 0) {
    throw new DetourwatchError(
      'STORE_FAILED',
      `the SQLite store has a table ${spec.target} that this detourwatch's PostgreSQL schema lacks: nothing was copied`,
    );
  }
  const columns = firstRead
    .columns()
    .map((c) => c.name)
    .filter((c, i, all) => targetColumns.has(c) && all.indexOf(c) === i);
  const list = columns.join(', ');
  const insert = `INSERT INTO ${spec.target} (${list})
    SELECT ${list} FROM json_populate_recordset(NULL::${spec.target}, $1::json)`;
  let copied = 0;
  let last: unknown[] | null = null;
  progress({ table: spec.target, copied, total });
  for (;;) {
    const batch = (last === null ? firstRead.all() : nextRead.all(...last)) as Record<string, unknown>[];
    if (batch.length === 0) break;
    if (spec.partitioned) await ensureMonths(client, spec.partitioned, batch, created);
    // A BLOB (traces.verdict_z, issue 17) goes as bytea's hex text: JSON has no bytes.
    const value = (v: unknown) => (Buffer.isBuffer(v) ? `\\x${v.toString('hex')}` : v);
    const objects = batch.map((r) => Object.fromEntries(columns.map((c) => [c, value(r[c])])));
    await client.query(insert, [JSON.stringify(objects)]);
    copied += batch.length;
    progress({ table: spec.target, copied, total });
    const end = batch[batch.length - 1] as Record<string, unknown>;
    last = keys.map((k) => end[k]);
    if (batch.length < spec.batch) break;
  }
  return copied;
}

/** Every sequence behind an id moved past the ids copied, so the next row gets the next id. */
async function advanceSequences(client: pg.ClientBase): Promise<void> {
  // placement_changes (issue 15): the change log's ids.
  const sequenced = ['tokens', 'results', 'incidents', 'baselines', 'webhook_deliveries'];
  sequenced.push('placement_changes');
  // maintenance_windows (issue 14): the window ids alerts name.
  sequenced.push('maintenance_windows');
  for (const table of sequenced) {
    await client.query(
      `SELECT setval(pg_get_serial_sequence('${table}', 'id'), COALESCE((SELECT MAX(id) FROM ${table}), 0) + 1, false)`,
    );
  }
  await client.query("SELECT setval('traces_id_seq', COALESCE((SELECT MAX(id) FROM traces), 0) + 1, false)");
  // The event stream (issue 12): new seqs above the copied ones and above those retention deleted, so a
  // client's Last-Event-ID stays meaningful on the copy.
  await client.query(
    `SELECT setval(pg_get_serial_sequence('events', 'seq'), GREATEST(COALESCE((SELECT MAX(seq) FROM events), 0),
       COALESCE((SELECT value FROM history_state WHERE name = 'events.pruned_through'), 0)) + 1, false)`,
  );
}

export interface CopyOptions {
  /** The SQLite data directory (`--from`). */
  from: string;
  /** The PostgreSQL URL (`--to`). */
  to: string;
  progress?: (p: CopyProgress) => void;
}

/** Copies the store; resolves with the rows per table on both sides (all equal: otherwise it throws). */
export async function copySqliteToPostgres(
  options: CopyOptions,
): Promise<{ counts: CopyCount[]; target: string }> {
  const progress = options.progress ?? (() => {});
  // Opened once as the product opens it: migrated to the newest schema, so its columns are the known ones.
  await openSqliteStore({ dataDir: options.from, create: false }).close();
  const target = await openPostgresStore({ url: options.to, create: true });
  const sqlite = new Database(path.join(path.resolve(options.from), DATABASE_FILE), { readonly: true });
  const client = await target.pool.connect();
  let broken: Error | undefined;
  try {
    sqlite.exec('BEGIN');
    await client.query('BEGIN');
    try {
      await refuseNonEmpty(client, target.description.replace(/^PostgreSQL at /, ''));
      // Only the seeds the store wrote when it opened (watermarks at 0): SQLite's own values replace them.
      const seeds = await rows<{ name: string; value: number }>(
        client,
        'SELECT name, value FROM history_state',
      );
      await client.query('DELETE FROM history_state');
      const specs = tables(sqlite);
      const totals = specs.map((s) => Number(sqlite.prepare(s.sourceCount).pluck().get()));
      const created = new Set<string>();
      for (const [i, spec] of specs.entries()) {
        await copyTable(sqlite, client, spec, totals[i] ?? 0, progress, created);
      }
      await advanceSequences(client);
      const counts: CopyCount[] = [];
      for (const [i, spec] of specs.entries()) {
        const found = await row<{ n: number }>(client, `SELECT COUNT(*) AS n FROM ${spec.target}`);
        counts.push({ table: spec.target, sqlite: totals[i] ?? 0, postgres: found?.n ?? 0 });
      }
      const wrong = counts.filter((c) => c.sqlite !== c.postgres);
      if (wrong.length > 0) {
        throw new DetourwatchError(
          'STORE_FAILED',
          `the copy does not match, so none of it was kept: ${wrong
            .map((c) => `${c.table} has ${c.sqlite} rows in SQLite but ${c.postgres} in PostgreSQL`)
            .join('; ')}`,
        );
      }
      // A watermark SQLite did not have yet starts where the store starts it.
      for (const seed of seeds) {
        await client.query(
          'INSERT INTO history_state (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING',
          [seed.name, seed.value],
        );
      }
      await client.query('COMMIT');
      return { counts, target: target.description };
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackErr: Error) => {
        broken = rollbackErr;
      });
      throw err;
    } finally {
      if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
    }
  } finally {
    client.release(broken);
    sqlite.close();
    await target.close();
  }
}
