/**
 * Fault: power loss during ingest (issue 16, item 1).
 *
 * Proves that an acknowledgement is a promise that survives power loss: while four protocol clients keep
 * results flowing into a real coordinator (server/coordinator.ts over the real SQLite store), the database,
 * its -wal and its -shm are copied at ten random moments, and each copy, reopened with the real store,
 * opens, passes `PRAGMA integrity_check`, and holds every result whose `stored` ack the client had received
 * before the copy.
 *
 * How the copies stand for a crash: the coordinator runs in this process and better-sqlite3 commits
 * synchronously, so the three files are copied between two of its turns, never halfway through a commit:
 * they are the files as the OS holds them at that instant. With synchronous=FULL, everything committed is
 * also on disk, so power loss at that instant leaves exactly these files. What power loss can lose is what
 * was written after the last sync: a copy with a torn WAL takes the WAL of the previous copy point plus a
 * random part of what was appended since (the DB file unchanged meanwhile, i.e. no checkpoint between) and
 * must hold everything acknowledged before that previous point. Some copies drop the -shm (it is rebuilt
 * from the WAL by the first connection; a crash may leave any content in it).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoordinatorMessage } from '../../protocol/messages.ts';
import { DATABASE_FILE, openSqliteStore } from '../../server/store/sqlite/open.ts';
import {
  DETOUR_OUTPUT,
  DOMESTIC_OUTPUT,
  resultMessage,
  startTestCoordinator,
  TestClient,
  type TestCoordinator,
} from '../integration/coordinator-harness.ts';

const CLIENTS = 4;
/** Results each client keeps unanswered at once (well under the hub's limit). */
const WINDOW = 4;
const SNAPSHOTS = 10;

/** A small seeded generator, so a failing run can be repeated (the seed is printed). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Snapshot {
  label: string;
  dir: string;
  /** Results whose `stored` ack had arrived when the copied state was current. */
  acknowledged: string[];
}

let t: TestCoordinator;
let work: string;
const acknowledged = new Set<string>();
const snapshots: Snapshot[] = [];
let ingestStopped = false;

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'detourwatch-power-loss-'));
  t = await startTestCoordinator({ batchMs: 5 });
}, 30_000);

afterAll(async () => {
  ingestStopped = true;
  await t?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Sends results as fast as acks come back, keeping WINDOW unanswered. */
async function feed(client: TestClient): Promise<void> {
  const inFlight = new Set<string>();
  const sendOne = () => {
    const message = resultMessage(Math.random() < 0.5 ? DETOUR_OUTPUT : DOMESTIC_OUTPUT);
    inFlight.add(message.resultId);
    client.send(message);
  };
  await new Promise<void>((resolve) => {
    client.ws.on('message', () => {
      const last = client.messages.at(-1) as CoordinatorMessage | undefined;
      if (last?.type !== 'ack' || !inFlight.delete(last.resultId)) return;
      if (last.status === 'stored' || last.status === 'duplicate') acknowledged.add(last.resultId);
      if (ingestStopped) {
        if (inFlight.size === 0) resolve();
        return;
      }
      sendOne();
    });
    for (let i = 0; i < WINDOW; i++) sendOne();
  });
}

const files = (dir: string) => {
  const db = path.join(dir, DATABASE_FILE);
  return { db, wal: `${db}-wal`, shm: `${db}-shm` };
};

function copyInto(label: string, parts: { db: Buffer; wal: Buffer; shm: Buffer | null }): string {
  const dir = path.join(work, label);
  mkdirSync(dir);
  const to = files(dir);
  writeFileSync(to.db, parts.db);
  writeFileSync(to.wal, parts.wal);
  if (parts.shm) writeFileSync(to.shm, parts.shm);
  return dir;
}

describe('power loss during ingest', () => {
  it('every copy opens, is intact and holds every result acknowledged before its copy point', async () => {
    const seed = Date.now() % 1_000_000;
    console.log(`power-loss: seed ${seed}`);
    const rand = random(seed);
    const clients = await Promise.all(
      Array.from({ length: CLIENTS }, async () =>
        TestClient.connect(t.coordinator.agentUrl, (await t.token()).token),
      ),
    );
    const feeding = clients.map(feed);
    const from = files(t.dataDir);
    let previous = null as { db: Buffer; wal: Buffer; acknowledged: string[] } | null;
    let torn = 0;
    for (let k = 0; k < SNAPSHOTS; k++) {
      await new Promise((resolve) => setTimeout(resolve, 100 + rand() * 300));
      // One synchronous turn: no commit of this process's store can fall between these reads.
      const before = [...acknowledged];
      const db = readFileSync(from.db);
      const wal = readFileSync(from.wal);
      const shm = existsSync(from.shm) ? readFileSync(from.shm) : null;
      const keepShm = rand() < 0.5;
      snapshots.push({
        label: `copy-${k}${keepShm ? '' : ' (no -shm)'}`,
        dir: copyInto(`copy-${k}`, { db, wal, shm: keepShm ? shm : null }),
        acknowledged: before,
      });
      // A crash while writing after the previous copy point: its WAL plus a torn part of what came since.
      if (
        previous?.db.equals(db) &&
        wal.length > previous.wal.length &&
        wal.subarray(0, previous.wal.length).equals(previous.wal)
      ) {
        const keep = previous.wal.length + Math.floor(rand() * (wal.length - previous.wal.length));
        snapshots.push({
          label: `torn-${k} (WAL cut to ${keep} of ${wal.length} bytes)`,
          dir: copyInto(`torn-${k}`, { db, wal: wal.subarray(0, keep), shm: null }),
          acknowledged: previous.acknowledged,
        });
        torn += 1;
      }
      previous = { db, wal, acknowledged: before };
    }
    ingestStopped = true;
    await Promise.all(feeding);
    for (const client of clients) client.close();

    // The run must have exercised what it claims: acks flowing between copies, and torn WALs.
    expect(acknowledged.size).toBeGreaterThan(100);
    expect(torn).toBeGreaterThan(0);
    const grew = snapshots.filter(
      (s, i) => i > 0 && s.acknowledged.length > (snapshots[i - 1]?.acknowledged.length ?? 0),
    );
    expect(grew.length).toBeGreaterThan(SNAPSHOTS / 2);

    for (const snapshot of snapshots) {
      // The real store opens it (recovery from the WAL, migrations already current).
      const store = openSqliteStore({ dataDir: snapshot.dir, create: false });
      await store.counts();
      await store.close();
      const db = new Database(files(snapshot.dir).db, { readonly: true, fileMustExist: true });
      try {
        expect(db.pragma('integrity_check', { simple: true }), snapshot.label).toBe('ok');
        const stored = new Set(
          (db.prepare('SELECT result_id FROM results').all() as { result_id: string }[]).map(
            (r) => r.result_id,
          ),
        );
        const missing = snapshot.acknowledged.filter((id) => !stored.has(id));
        expect(missing, `${snapshot.label}: acknowledged but absent`).toEqual([]);
      } finally {
        db.close();
      }
    }
    console.log(
      `power-loss: ${snapshots.length} copies (${torn} with a torn WAL), ${acknowledged.size} results acknowledged in all; ` +
        `each copy intact and complete`,
    );
  }, 60_000);
});
