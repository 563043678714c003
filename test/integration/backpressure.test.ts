/**
 * Backpressure (issue 17): a real coordinator (in-process, real SQLite file) whose ingest takes at most
 * 4 x batchMax results pending, the real agent process (stand-in engines printing recorded scamper output)
 * with a burst of results, and a second process holding SQLite's write lock so that results pile up. The
 * coordinator must tell the agent to slow down, the agent must send nothing while told to wait, the ingest
 * must never hold more than its bound, and after the lock goes every result is stored exactly once.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ingest } from '../../server/ingest/ingest.ts';
import { DATABASE_FILE } from '../../server/store/sqlite/open.ts';
import { type AgentProcess, killAgent, REPO_ROOT, spawnAgent } from '../agent/agent-process.ts';
import { waitFor } from '../agent/fake-coordinator.ts';
import { createStandInEngines, type StandInEngines } from '../helpers/stand-in-engines.ts';
import { getJson, startTestCoordinator, type TestCoordinator } from './coordinator-harness.ts';

const TASKS = 40;
const BATCH_MAX = 2;
/** The ingest's default bound: four batches' worth (server/ingest/ingest.ts). */
const BOUND = 4 * BATCH_MAX;

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

const field = (line: string, key: string) => new RegExp(`${key}=(\\S+)`).exec(line)?.[1] as string;
const timeOf = (line: string) => Date.parse(line.split(' ')[0] as string);

describe('a burst while the store cannot keep up', () => {
  let t: TestCoordinator;
  let engines: StandInEngines;
  let outbox: string;
  let agent: AgentProcess | undefined;
  let locker: ChildProcess | undefined;
  let ingest: Ingest | undefined;
  let peakSeen = 0;

  beforeAll(async () => {
    t = await startTestCoordinator({
      batchMs: 5,
      batchMax: BATCH_MAX,
      wrapIngest: (created) => {
        ingest = created;
        return created;
      },
    });
    engines = await createStandInEngines();
    outbox = await fs.mkdtemp(path.join(os.tmpdir(), 'dw-backpressure-'));
    const { token } = await t.token('bursty');
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
        '--max-per-minute',
        '100000',
      ],
      { DETOURWATCH_TOKEN: token, ...engines.env },
    );
    agent = a;
    await waitFor(() => a.lines('connected').length === 1, 'the agent to be welcomed', 30_000);
    const agentId = t.coordinator.hub.connected().find((c) => c.name === 'bursty')?.agentId;

    let output = '';
    const l = spawn(process.execPath, ['-e', LOCKER, path.join(t.dataDir, DATABASE_FILE)], {
      cwd: REPO_ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    locker = l;
    l.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    await waitFor(() => output.includes('locked'), 'the other process to take the lock');
    const watch = setInterval(() => {
      peakSeen = Math.max(peakSeen, ingest?.pending() ?? 0);
    }, 5);
    try {
      for (let i = 0; i < TASKS; i++) {
        const res = await fetch(`${t.coordinator.url}/api/v1/measurements`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${t.operatorKey}` },
          body: JSON.stringify({ agentId, target: '127.0.0.1' }),
        });
        expect(res.status).toBe(202);
      }
      await waitFor(() => a.lines('task-finished').length === TASKS, 'the traces to finish', 60_000);
      await waitFor(() => a.lines('slow-down').length > 0, 'the coordinator to say slow down', 30_000);
      // Nothing can have been stored while the lock is held, so nothing may have been acknowledged.
      expect(a.lines('result-acked')).toEqual([]);
      l.stdin?.write('release\n');
      await waitFor(() => output.includes('released'), 'the lock to be released');
      await waitFor(() => a.lines('result-acked').length === TASKS, 'every result to be acked', 60_000);
    } finally {
      clearInterval(watch);
    }
  }, 180_000);

  afterAll(async () => {
    await killAgent(agent);
    if (locker && locker.exitCode === null) locker.kill('SIGKILL');
    await t?.close();
    await engines?.remove();
    if (outbox) await fs.rm(outbox, { recursive: true, force: true });
  });

  it('the ingest refused what was past its bound and never held more', async () => {
    const { body } = await getJson(`${t.coordinator.url}/healthz`);
    const stats = (body as { ingest: { overloaded: number; peakPending: number; stored: number } }).ingest;
    expect(stats.overloaded).toBeGreaterThan(0);
    expect(stats.peakPending).toBeLessThanOrEqual(BOUND);
    expect(peakSeen).toBeLessThanOrEqual(BOUND);
    expect(stats.stored).toBe(TASKS);
  });

  it('the agent sent nothing while it was told to wait', () => {
    const a = agent as AgentProcess;
    const sent = a.lines('result-sent').map(timeOf);
    const pauses = a.lines('slow-down').map((l) => ({ from: timeOf(l), ms: Number(field(l, 'inMs')) }));
    expect(pauses.length).toBeGreaterThan(0);
    for (const pause of pauses) {
      expect(pause.ms).toBeGreaterThan(0);
      // Log times are whole milliseconds: a send in the pause's first or last millisecond is the same instant.
      const inside = sent.filter((at) => at > pause.from + 1 && at < pause.from + pause.ms - 1);
      expect(inside).toEqual([]);
    }
  });

  it('every result is stored exactly once, acked once, and the outbox is empty', async () => {
    const a = agent as AgentProcess;
    const finished = a.lines('task-finished').map((l) => field(l, 'resultId'));
    expect(new Set(finished).size).toBe(TASKS);
    const acked = a
      .lines('result-acked')
      .map((l) => ({ id: field(l, 'resultId'), status: field(l, 'status') }));
    expect(acked.every((x) => x.status === 'stored')).toBe(true);
    expect(acked.map((x) => x.id).sort()).toEqual([...finished].sort());
    const db = new Database(path.join(t.dataDir, DATABASE_FILE), { readonly: true, fileMustExist: true });
    const rows = db
      .prepare('SELECT result_id AS id, COUNT(*) AS n FROM results GROUP BY result_id')
      .all() as { id: string; n: number }[];
    db.close();
    expect(rows.map((r) => r.id).sort()).toEqual([...finished].sort());
    expect(rows.every((r) => r.n === 1)).toBe(true);
    const left = (await fs.readdir(outbox, { recursive: true })).filter((f) => f.endsWith('.json'));
    expect(left).toEqual([]);
  });
});
