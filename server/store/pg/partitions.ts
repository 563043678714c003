import type { Pool } from 'pg';

/**
 * One partition of `traces` and of `hops` per UTC month (schema.ts), created on demand.
 *
 * Why on demand, and no default partition: a trace's start time comes from the tool or an imported archive,
 * so any month can arrive (an Atlas import of 2019). A default partition would catch them, but a month that
 * has rows there can no longer be created (PostgreSQL refuses a partition whose range the default holds rows
 * of) and every creation must scan it. So a write first makes sure the months it touches exist, in a short
 * transaction of its own, before its write transaction begins: creating a partition takes an ACCESS
 * EXCLUSIVE lock on the parent, which must not be held for a whole write. Coordinators creating the same
 * month at once serialise on an advisory lock and `IF NOT EXISTS` makes the second one a no-op; the months
 * known to exist are cached. The current and the next month are created when the store opens, so the hot
 * path at a month's turn finds its partition ready.
 */

/** Any constant the coordinators agree on. */
const PARTITION_LOCK = 0x64770002;

/** A month as a number: year * 12 + month (0-11), UTC. */
export type Month = number;

export function monthOf(ms: number): Month {
  const d = new Date(ms);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
}

/** Epoch ms of the month's first instant. */
export function monthStart(month: Month): number {
  // Not Date.UTC: it reads years 0-99 as 1900-1999.
  const d = new Date(0);
  d.setUTCFullYear(Math.floor(month / 12), ((month % 12) + 12) % 12, 1);
  return d.getTime();
}

export function partitionName(table: 'traces' | 'hops', month: Month): string {
  const year = Math.floor(month / 12);
  const m = String((((month % 12) + 12) % 12) + 1).padStart(2, '0');
  // Years before 1000 or after 9999 stay unambiguous: the year is whatever digits it has.
  return `${table}_${year < 0 ? `m${-year}` : year}_${m}`;
}

/** The month a partition name stands for, null for a name that is not one of ours. */
export function monthOfPartition(table: 'traces' | 'hops', name: string): Month | null {
  const match = new RegExp(`^${table}_(m?)(\\d+)_(\\d\\d)$`).exec(name);
  if (!match) return null;
  const year = Number(match[2]) * (match[1] === 'm' ? -1 : 1);
  return year * 12 + Number(match[3]) - 1;
}

/** The statement that creates the month's partition of `table` unless it exists. */
export function createPartitionSql(table: 'traces' | 'hops', month: Month): string {
  return `CREATE TABLE IF NOT EXISTS ${partitionName(table, month)} PARTITION OF ${table}
    FOR VALUES FROM (${monthStart(month)}) TO (${monthStart(month + 1)})`;
}

/** The partitions of `table` that exist, by month. */
export async function existingPartitions(pool: Pool, table: 'traces' | 'hops'): Promise<Map<Month, string>> {
  const { rows } = await pool.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = $1::regclass`,
    [table],
  );
  const months = new Map<Month, string>();
  for (const r of rows) {
    const month = monthOfPartition(table, r.name);
    if (month !== null) months.set(month, r.name);
  }
  return months;
}

export interface Partitions {
  /**
   * Makes sure `traces` has a partition for each month, and `hops` for each of `hopMonths` (which leaves out
   * months retention has dropped: their hops are not written).
   */
  ensure(traceMonths: Iterable<Month>, hopMonths: Iterable<Month>): Promise<void>;
  /** Forgets what is cached (another coordinator's retention dropped a partition). */
  forget(): void;
}

export function partitions(pool: Pool): Partitions {
  let known: { traces: Set<Month>; hops: Set<Month> } | null = null;

  async function load(): Promise<{ traces: Set<Month>; hops: Set<Month> }> {
    known ??= {
      traces: new Set((await existingPartitions(pool, 'traces')).keys()),
      hops: new Set((await existingPartitions(pool, 'hops')).keys()),
    };
    return known;
  }

  return {
    async ensure(traceMonths, hopMonths) {
      const k = await load();
      const missing: { table: 'traces' | 'hops'; month: Month }[] = [];
      for (const month of new Set(traceMonths))
        if (!k.traces.has(month)) missing.push({ table: 'traces', month });
      for (const month of new Set(hopMonths)) if (!k.hops.has(month)) missing.push({ table: 'hops', month });
      if (missing.length === 0) return;
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        // A write waiting behind a long read for the parent's lock is better answered `retry` than left hanging.
        await client.query("SET LOCAL lock_timeout = '5s'");
        await client.query('SELECT pg_advisory_xact_lock($1)', [PARTITION_LOCK]);
        for (const { table, month } of missing) await client.query(createPartitionSql(table, month));
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
      for (const { table, month } of missing) k[table].add(month);
    },
    forget() {
      known = null;
    },
  };
}
