import type { ClientBase, Pool } from 'pg';

/** A pool (one statement on any connection) or one client (inside a transaction). */
export type Db = Pool | ClientBase;

/** The rows of a statement, typed as the caller's row type (the column lists of ../rows.ts name them). */
export async function rows<T>(db: Db, text: string, values: readonly unknown[] = []): Promise<T[]> {
  return (await db.query(text, values as unknown[])).rows as T[];
}

/** The first row, or null. */
export async function row<T>(db: Db, text: string, values: readonly unknown[] = []): Promise<T | null> {
  return ((await db.query(text, values as unknown[])).rows[0] as T | undefined) ?? null;
}

/** How many rows a statement changed. */
export async function changes(db: Db, text: string, values: readonly unknown[] = []): Promise<number> {
  return (await db.query(text, values as unknown[])).rowCount ?? 0;
}
