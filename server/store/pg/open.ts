import pg from 'pg';
import { DetourwatchError, describeError } from '../../../protocol/errors.ts';
import type { Store } from '../store.ts';
import { pgAgents } from './agents.ts';
import { redactedUrl } from './database-url.ts';
import { pgDeliveries, pgDeliveryClaims } from './deliveries.ts';
import { pgEvents } from './events.ts';
import { pgEvidence } from './evidence.ts';
import { pgHistory } from './history.ts';
import { pgImportProbes } from './import-probes.ts';
import { pgIncidents } from './incidents.ts';
import { pgLeases } from './leases.ts';
import { pgLocationCorrections } from './location-corrections.ts';
import { pgMaintenance } from './maintenance.ts';
import { pgMap } from './map.ts';
import { migrate, schemaVersion } from './migrate.ts';
import { monthOf, partitions } from './partitions.ts';
import { pgRetention } from './retention.ts';
import { pgRouteChanges } from './route-changes.ts';
import { pgRouterConstraints } from './router-constraints.ts';
import { MIGRATIONS } from './schema.ts';
import { HOPS_DROPPED_BEFORE, INCIDENT_WATERMARK, pgState } from './state.ts';
import { pgTasks } from './tasks.ts';
import { pgTraces } from './traces.ts';
import { pgVantage } from './vantage.ts';

export interface PgStoreOptions {
  /** postgres://USER@HOST:PORT/DATABASE (database-url.ts). */
  url: string;
  /** Migrate a database without the schema (serve, token create, import); false: refuse it (read-only uses). */
  create: boolean;
  /** Connections in the pool (default 10). */
  poolSize?: number;
}

/** The PostgreSQL store, with what multi-coordinator features (leases, LISTEN/NOTIFY) build on. */
export interface PgStore extends Store {
  /** The pool every group of the store uses. */
  readonly pool: pg.Pool;
  /** A connection of its own, outside the pool (LISTEN needs one that stays); the caller ends it. */
  dedicatedClient(): Promise<pg.Client>;
}

const INT8_OID = 20;

/**
 * bigint columns (ids, epoch ms, counts) as numbers, as SQLite answers them: every one of them is far below
 * 2^53. Only this store's connections read them so; the `pg` module's global parsers are left alone.
 */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? (text: string) => Number(text)
      : pg.types.getTypeParser(oid, format ?? 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

function clientConfig(url: string): pg.ClientConfig {
  return { connectionString: url, types, application_name: 'detourwatch', connectionTimeoutMillis: 10_000 };
}

/**
 * The server store: every group of store.ts on PostgreSQL 15, through a pool of connections. A write is one
 * transaction on one connection (BEGIN ... COMMIT), resolved after the COMMIT, which with the default
 * synchronous_commit means the WAL is flushed: what the coordinator acknowledges is durable.
 */
export async function openPostgresStore(options: PgStoreOptions): Promise<PgStore> {
  const shown = redactedUrl(options.url);
  const pool = new pg.Pool({ ...clientConfig(options.url), max: options.poolSize ?? 10 });
  // An idle connection that the server drops must not end the process; the next query reconnects.
  pool.on('error', () => {});
  const state = pgState(pool, partitions(pool));
  try {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      throw new DetourwatchError(
        'STORE_FAILED',
        `cannot connect to PostgreSQL at ${shown}: ${describeError(err)}`,
        {
          cause: err,
        },
      );
    }
    try {
      if (!options.create && (await schemaVersion(client)) === null) {
        throw new DetourwatchError(
          'STORE_FAILED',
          `no detourwatch schema in the database ${shown}: check --database ` +
            '(start `detourwatch serve --database ...` or `detourwatch token create --database ...` first)',
        );
      }
      await migrate(client, MIGRATIONS);
      await client.query(
        `INSERT INTO history_state (name, value) VALUES ($1, 0), ($2, 0) ON CONFLICT (name) DO NOTHING`,
        [INCIDENT_WATERMARK, HOPS_DROPPED_BEFORE],
      );
    } finally {
      client.release();
    }
    await state.refreshHopsDroppedBefore();
    if (options.create) {
      // This month's and the next one's partitions now, so the month's turn finds its partition ready.
      const now = monthOf(Date.now());
      await state.partitions.ensure([now, now + 1], [now, now + 1]);
    }
  } catch (err) {
    await pool.end().catch(() => {});
    if (err instanceof DetourwatchError) throw err;
    throw new DetourwatchError('STORE_FAILED', `cannot use the database ${shown}: ${describeError(err)}`, {
      cause: err,
    });
  }

  const { incidents, foldInTransaction } = pgIncidents(state);
  let closed = false;
  const dedicatedClient = async (): Promise<pg.Client> => {
    const client = new pg.Client(clientConfig(options.url));
    await client.connect();
    return client;
  };
  return {
    description: `PostgreSQL at ${shown}`,
    pool,
    dedicatedClient,
    ...pgAgents(pool),
    ...pgTasks(pool),
    ...pgTraces(state, foldInTransaction),
    ...pgHistory(state),
    ...incidents,
    ...pgDeliveries(pool),
    ...pgDeliveryClaims(pool),
    ...pgLeases(pool, dedicatedClient),
    ...pgEvidence(state),
    ...pgMap(state),
    ...pgRetention(state),
    ...pgVantage(pool),
    ...pgMaintenance(pool),
    ...pgRouterConstraints(pool),
    ...pgLocationCorrections(state, foldInTransaction),
    ...pgEvents(pool, dedicatedClient),
    ...pgRouteChanges(pool),
    ...pgImportProbes(pool),
    async close() {
      state.slot.binding = null;
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
