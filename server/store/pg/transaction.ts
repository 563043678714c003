import type { Pool, PoolClient } from 'pg';
import { DetourwatchError } from '../../../protocol/errors.ts';

/**
 * SQLSTATEs (and client errors) that mean "try again shortly", not "this write is wrong": a deadlock or
 * serialization failure another transaction caused, a lock not had in time, the server shutting down or out
 * of connections, the connection lost. The ingest answers agents `retry` for these (server/ingest/store-busy.ts
 * reads `STORE_BUSY`), and stores the result without its traces for anything else, so the difference matters.
 */
const BUSY_SQLSTATES = new Set(['40001', '40P01', '55P03', '57014', '53300', '57P01', '57P02', '57P03']);
const BUSY_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

export function isTransient(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    if (BUSY_SQLSTATES.has(code) || code.startsWith('08') || BUSY_NODE_CODES.has(code)) return true;
  }
  const message = err instanceof Error ? err.message : '';
  // pg-pool's own words when no connection came in time, and the client's when the server went away.
  return /timeout exceeded when trying to connect|Connection terminated/i.test(message);
}

/** The marker `isStoreBusy` looks for along the cause chain. */
class StoreBusy extends Error {
  readonly code = 'STORE_BUSY';
}

/** A write's failure as the store reports it: busy (with the marker) or failed, the original as cause. */
export function writeFailure(err: unknown, what: string): unknown {
  if (err instanceof DetourwatchError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (isTransient(err)) {
    return new DetourwatchError('STORE_FAILED', `PostgreSQL is busy (${message}); ${what} was not stored`, {
      cause: new StoreBusy(message, { cause: err }),
    });
  }
  return new DetourwatchError('STORE_FAILED', `${what} was not stored: ${message}`, { cause: err });
}

/**
 * Runs `work` on one client between BEGIN and COMMIT; any error rolls back. Resolves only after the COMMIT
 * has returned, which with PostgreSQL's default synchronous_commit means the WAL is flushed: what the
 * coordinator acknowledges after this is durable. A client whose ROLLBACK fails is discarded, not reused.
 */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const value = await work(client);
    await client.query('COMMIT');
    return value;
  } catch (err) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackErr) {
      broken = rollbackErr as Error;
    }
    throw err;
  } finally {
    client.release(broken);
  }
}
