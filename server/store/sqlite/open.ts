import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DetourwatchError, describeError } from '../../../protocol/errors.ts';
import type { Store } from '../store.ts';
import { sqliteAgents } from './agents.ts';
import { sqliteDeliveries, sqliteDeliveryClaims } from './deliveries.ts';
import { codingWriteErrors } from './errors.ts';
import { sqliteEvents } from './events.ts';
import { sqliteEvidence } from './evidence.ts';
import { sqliteHistory } from './history.ts';
import { sqliteImportProbes } from './import-probes.ts';
import { type FoldSlot, sqliteIncidents } from './incidents.ts';
import { sqliteLeases } from './leases.ts';
import { sqliteLocationCorrections } from './location-corrections.ts';
import { sqliteMaintenance } from './maintenance.ts';
import { sqliteMap } from './map.ts';
import { migrate } from './migrate.ts';
import { sqliteRetention } from './retention.ts';
import { sqliteRouteChanges } from './route-changes.ts';
import { sqliteRouterConstraints } from './router-constraints.ts';
import { MIGRATIONS } from './schema.ts';
import { sqliteTasks } from './tasks.ts';
import { sqliteTraces } from './traces.ts';
import { sqliteVantage } from './vantage.ts';

export const DATABASE_FILE = 'detourwatch.sqlite';

export interface SqliteStoreOptions {
  dataDir: string;
  /** Create the directory and database when missing (serve, token create); false for read-only uses. */
  create: boolean;
  /**
   * How long a statement waits for another process's write lock once the store is open (default 5000 ms).
   * better-sqlite3 waits inside the call, on the event loop: the coordinator passes a few ms and answers
   * agents `retry` instead, one-shot commands can afford to wait.
   */
  busyTimeoutMs?: number;
}

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

/** The database file under `dataDir`, opened, tuned and migrated to the newest schema. */
function openTuned(options: SqliteStoreOptions): { db: Database.Database; file: string } {
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
    // FULL: a commit is on disk (WAL fsync'd) before it returns, so an acknowledgement survives power loss.
    // The ingest commits once per batch, so this is one fsync per batch, not per result.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('cache_size = -65536');
    db.pragma('wal_autocheckpoint = 4000');
    migrate(db, MIGRATIONS);
    db.pragma(`busy_timeout = ${Math.max(0, Math.round(options.busyTimeoutMs ?? 5000))}`);
  } catch (err) {
    db.close();
    if (err instanceof DetourwatchError) throw err;
    throw new DetourwatchError('STORE_FAILED', `cannot use the database ${file}: ${describeError(err)}`, {
      cause: err,
    });
  }
  return { db, file };
}

/**
 * The embedded store: one SQLite file in WAL mode with synchronous=FULL, one connection, every group of
 * store.ts implemented in this folder. A committed transaction is durable when the call returns, power loss
 * included: what the coordinator acknowledges is on disk.
 */
export function openSqliteStore(options: SqliteStoreOptions): Store {
  const { db, file } = openTuned(options);
  const slot: FoldSlot = { binding: null };
  const { events, insertEvents } = sqliteEvents(db);
  const { incidents, foldInTransaction } = sqliteIncidents(db, slot, insertEvents);
  const { routerConstraints, writeRouterReadings } = sqliteRouterConstraints(db);
  // A full disk or a read-only filesystem fails any write: coded here, once, for every group.
  return codingWriteErrors<Store>(file, {
    description: `SQLite (WAL) at ${file}`,
    ...sqliteAgents(db),
    ...sqliteTasks(db),
    ...sqliteTraces(db, slot, foldInTransaction, writeRouterReadings, insertEvents),
    ...sqliteHistory(db),
    ...incidents,
    ...sqliteDeliveries(db),
    ...sqliteDeliveryClaims(db),
    ...sqliteLeases(db),
    ...sqliteEvidence(db),
    ...sqliteMap(db),
    ...sqliteRetention(db),
    ...sqliteVantage(db),
    ...sqliteMaintenance(db),
    ...routerConstraints,
    ...sqliteLocationCorrections(db, slot, foldInTransaction),
    ...events,
    ...sqliteRouteChanges(db),
    ...sqliteImportProbes(db),
    async close() {
      slot.binding = null;
      if (db.open) db.close();
    },
  });
}
