/**
 * Acknowledgements tell the truth while another process holds SQLite's write lock: a real coordinator
 * (in-process, real store file), the real agent process (stand-in engines printing recorded scamper output),
 * and a second process that takes the write lock with BEGIN IMMEDIATE and holds it for 3 s during ingest.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Counters } from '../../server/hub/metrics.ts';
import { DATABASE_FILE } from '../../server/store/sqlite/open.ts';
import { type AgentProcess, killAgent, REPO_ROOT, spawnAgent } from '../agent/agent-process.ts';
import { waitFor } from '../agent/fake-coordinator.ts';
import { createStandInEngines, type StandInEngines } from '../helpers/stand-in-engines.ts';
import { getJson, startTestCoordinator, type TestCoordinator } from './coordinator-harness.ts';

const TASKS = 4;
const HOLD_MS = 3000;

/** Takes the write lock, says so, and gives it back when told on stdin. */
const LOCKER = `
const Database = require('better-sqlite3');
const db = new Database(process.argv[1]);
db.exec('BEGIN IMMEDIATE');
process.stdout.write('locked\\n');
process.stdin.once('data', () => {
  db.exec('COMMIT');
  db.close();
  process.stdout.write('released\\n');
  process.exit(0);
});
`;

interface Locker {
  child: ChildProcess;
  output(): string;
}

function startLocker(file: string): Locker {
  const child = spawn(process.execPath, ['-e', LOCKER, file], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    output += chunk;
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    output += chunk;
  });
  return { child, output: () => output };
}

const field = (line: string, key: string) => new RegExp(`${key}=(\\S+)`).exec(line)?.[1] as string;

interface Outcome {
  agent: AgentProcess;
  dbFile: string;
  /** The longest the coordinator's event loop (this process) went without running a timer, lock held. */
  longestStallMs: number;
}

describe('a second process holds the write lock for 3 s during ingest', () => {
  let t: TestCoordinator;
  let engines: StandInEngines;
  let outbox: string;
  let agent: AgentProcess | undefined;
  let locker: Locker | undefined;
  let outcome: Outcome;

  beforeAll(async () => {
    t = await startTestCoordinator({ batchMs: 10 });
    engines = await createStandInEngines();
    outbox = await fs.mkdtemp(path.join(os.tmpdir(), 'dw-store-lock-'));
    outcome = await ingestUnderLock();
  }, 90_000);

  afterAll(async () => {
    await killAgent(agent);
    if (locker && locker.child.exitCode === null) locker.child.kill('SIGKILL');
    await t.close();
    await engines.remove();
    await fs.rm(outbox, { recursive: true, force: true });
  });

  /** Connects the agent, locks, runs TASKS traces, holds the lock 3 s (and until each result met it), releases. */
  async function ingestUnderLock(): Promise<Outcome> {
    const { token } = await t.token('locked-out');
    const a = spawnAgent(
      [
        '--server',
        t.coordinator.url,
        '--outbox',
        outbox,
        '--allow-special-targets',
        '--engine',
        'scamper',
        '--max-concurrent',
        String(TASKS),
      ],
      { DETOURWATCH_TOKEN: token, ...engines.env },
    );
    agent = a;
    await waitFor(() => a.lines('connected').length === 1, 'the agent to be welcomed', 30_000);
    const agentId = t.coordinator.hub.connected().find((c) => c.name === 'locked-out')?.agentId;

    const dbFile = path.join(t.dataDir, DATABASE_FILE);
    const l = startLocker(dbFile);
    locker = l;
    await waitFor(() => l.output().includes('locked'), 'the other process to take the lock');
    const lockedAt = performance.now();
    let longestStallMs = 0;
    let lastTick = performance.now();
    const loopWatch = setInterval(() => {
      const now = performance.now();
      longestStallMs = Math.max(longestStallMs, now - lastTick);
      lastTick = now;
    }, 20);
    try {
      for (let i = 0; i < TASKS; i++) {
        const res = await fetch(`${t.coordinator.url}/api/v1/measurements`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${t.operatorKey}` },
          body: JSON.stringify({ agentId, target: '127.0.0.1' }),
        });
        expect(res.status).toBe(202);
      }
      await waitFor(() => a.lines('task-finished').length === TASKS, 'the traces to finish');
      const finished = a.lines('task-finished').map((line) => field(line, 'resultId'));
      await waitFor(
        () => finished.every((id) => a.lines('result-retry').some((line) => field(line, 'resultId') === id)),
        'every result to be answered retry while the lock is held',
        40_000,
      );
      await new Promise((resolve) =>
        setTimeout(resolve, Math.max(0, lockedAt + HOLD_MS - performance.now())),
      );
      // Nothing can have been stored while the lock was held, so nothing may have been acknowledged.
      expect(a.lines('result-acked')).toEqual([]);
      l.child.stdin?.write('release\n');
      await waitFor(() => l.output().includes('released'), 'the lock to be released');
    } finally {
      clearInterval(loopWatch);
    }
    await waitFor(() => a.lines('result-acked').length === TASKS, 'every result to be acked', 30_000);
    return { agent: a, dbFile, longestStallMs };
  }

  it('every result is stored exactly once, and none was acknowledged stored without its row', async () => {
    const { agent: a, dbFile } = outcome;
    const finished = a.lines('task-finished').map((l) => field(l, 'resultId'));
    expect(finished).toHaveLength(TASKS);
    const acked = a
      .lines('result-acked')
      .map((l) => ({ id: field(l, 'resultId'), status: field(l, 'status') }));
    expect(acked.every((x) => x.status === 'stored')).toBe(true);
    expect(acked.map((x) => x.id).sort()).toEqual([...finished].sort());
    // The results table, read by a connection of its own.
    const db = new Database(dbFile, { readonly: true, fileMustExist: true });
    const rows = db
      .prepare('SELECT result_id AS id, COUNT(*) AS n FROM results GROUP BY result_id')
      .all() as {
      id: string;
      n: number;
    }[];
    db.close();
    expect(rows.map((r) => r.id).sort()).toEqual([...finished].sort());
    expect(rows.every((r) => r.n === 1)).toBe(true);
    for (const x of acked) expect(rows.map((r) => r.id)).toContain(x.id);
  });

  it('the agent sent each result again by itself, on its one connection', async () => {
    const { agent: a } = outcome;
    expect(a.lines('result-sent').length).toBeGreaterThan(TASKS);
    expect(a.lines('connected')).toHaveLength(1);
    expect(a.lines('disconnected')).toEqual([]);
    const { hub } = (await getJson(`${t.coordinator.url}/healthz`)).body as { hub: Counters };
    expect(hub.connections).toBe(1);
    expect(hub.sessions).toBe(1);
    expect(hub.resultsRetried).toBeGreaterThanOrEqual(TASKS);
  });

  it("the coordinator's event loop never waited for the lock", () => {
    // A write that waits inside the call for the lock (a busy_timeout of seconds) stalls it for seconds.
    expect(outcome.longestStallMs).toBeLessThan(HOLD_MS / 2);
  });
});
