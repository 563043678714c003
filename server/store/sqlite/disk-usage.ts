/**
 * Bytes a SQLite store takes on disk, for the bytes-per-trace benchmark (issue 17): the WAL folded into the
 * database first (wal_checkpoint(TRUNCATE)), then the file sizes and each table's and index's pages as the
 * `dbstat` virtual table counts them (null when the SQLite build has no dbstat).
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DATABASE_FILE } from './open.ts';

export interface DiskUsage {
  databaseBytes: number;
  walBytes: number;
  /** Bytes per table or index (name to bytes), largest first; null without dbstat. */
  objects: { name: string; bytes: number }[] | null;
}

const sizeOf = (file: string): number => {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
};

/** Call with the store closed (or idle): the checkpoint needs no reader in the way to truncate the WAL. */
export function sqliteDiskUsage(dataDir: string): DiskUsage {
  const file = path.join(dataDir, DATABASE_FILE);
  const db = new Database(file, { fileMustExist: true });
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
    let objects: DiskUsage['objects'] = null;
    try {
      objects = db
        .prepare('SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC')
        .all() as { name: string; bytes: number }[];
    } catch {
      objects = null;
    }
    return { databaseBytes: sizeOf(file), walBytes: sizeOf(`${file}-wal`), objects };
  } finally {
    db.close();
  }
}
