/**
 * Fault: PostgreSQL crashes during ingest (issue 16, item 1, the PostgreSQL store).
 *
 * Proves that an acknowledgement is a promise on PostgreSQL too: a real coordinator (`detourwatch serve
 * --database`, a child process) ingests results that hand-written agents send for tasks issued through the
 * operators' API, and at random moments the test crashes its own PostgreSQL cluster (`pg_ctl stop -m
 * immediate`: every server process ends at once, no checkpoint, so the restart runs WAL crash recovery) and
 * starts it again. After each recovery, every result whose `stored` ack an agent had received before the
 * crash is in the database; while the server is down, no result sent in that time is acknowledged `stored`
 * (the agents hear `retry`); and the coordinator, never restarted, stores results again by itself. The
 * coordinator's sessions run with synchronous_commit on (a COMMIT returns after its WAL is flushed).
 *
 * The cluster is the test's own (a second throw-away one, fsync on as in production), never the shared one.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type CoordinatorMessage, parseCoordinatorMessage } from '../../protocol/messages.ts';
import { AGENT_PATH } from '../../server/hub/hub.ts';
import { openPostgresStore, type PgStore } from '../../server/store/pg/open.ts';
import { REPO_ROOT } from '../agent/agent-process.ts';
import { type Cluster, clusterUnavailable, startCluster, testDatabase } from '../helpers/postgres.ts';
import { requirement, SKIP_REASONS, skipUnless } from '../helpers/skips.ts';
import { DETOUR_OUTPUT, DOMESTIC_OUTPUT, helloMessage } from '../integration/coordinator-harness.ts';

const BIN = path.join(REPO_ROOT, 'bin/detourwatch.js');
const AGENTS = 3;
const CRASHES = 3;
/** The target the harness's traceroute outputs name, so a result answers the task that asked for it. */
const TARGET = '192.0.2.50';

const unavailable = clusterUnavailable();
const postgres = requirement(unavailable === null, SKIP_REASONS.postgres, unavailable ?? '');

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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, check: () => Promise<T | undefined> | T | undefined, ms = 20_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

async function tokenCreate(url: string, name: string, role: 'agent' | 'operator'): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [BIN, 'token', 'create', '--name', name, '--database', url, '--role', role],
    { cwd: REPO_ROOT },
  );
  const last = stdout.trim().split('\n').at(-1)?.trim();
  if (!last) throw new Error(`token create printed nothing:\n${stdout}`);
  return last;
}

interface Serve {
  child: ChildProcess;
  url: string;
  output(): string;
}

async function serve(database: string): Promise<Serve> {
  const child = spawn(
    process.execPath,
    [BIN, 'serve', '--database', database, '--port', '0', '--no-schedule', '--host', '127.0.0.1'],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const port = await until(
    'serve to listen',
    () => {
      if (child.exitCode !== null) throw new Error(`serve exited (${child.exitCode}):\n${output}`);
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      return m ? Number(m[1]) : undefined;
    },
    30_000,
  );
  return { child, url: `http://127.0.0.1:${port}`, output: () => output };
}

/** What the agents saw, shared by all of them. */
const seen = {
  /** Result id -> when its `stored` (or `duplicate`) ack arrived. */
  acknowledged: new Map<string, number>(),
  /** Result id -> when the send that was acknowledged went out. */
  sentAt: new Map<string, number>(),
  retries: 0,
  stopped: false,
};

/**
 * A hand-written agent from its own loopback address: asks the operators' API for a task for itself, waits
 * for the task, answers it, and sends the same result again after `retryAfterMs` until it is acknowledged.
 */
class Agent {
  readonly messages: CoordinatorMessage[] = [];
  agentId = '';
  readonly #ws: WebSocket;
  readonly #coordinator: string;
  readonly #operatorKey: string;
  /** Result id -> who waits for its next ack. */
  readonly #waiting = new Map<string, (m: CoordinatorMessage) => void>();
  #answered = 0;

  private constructor(ws: WebSocket, coordinator: string, operatorKey: string) {
    this.#ws = ws;
    this.#coordinator = coordinator;
    this.#operatorKey = operatorKey;
    ws.on('message', (data) => {
      const m = parseCoordinatorMessage(String(data));
      this.messages.push(m);
      if (m.type === 'ack') this.#waiting.get(m.resultId)?.(m);
    });
    ws.on('error', () => {});
  }

  static async connect(s: Serve, token: string, n: number, operatorKey: string): Promise<Agent> {
    const ws = new WebSocket(`${s.url.replace('http', 'ws')}${AGENT_PATH}`, {
      headers: { authorization: `Bearer ${token}` },
      localAddress: `127.0.${n + 1}.1`,
    });
    const agent = new Agent(ws, s.url, operatorKey);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.send(JSON.stringify(helloMessage({ limits: { maxConcurrent: 4, maxPerMinute: 6000 } })));
    const welcome = await until('the welcome', () => agent.messages.find((m) => m.type === 'welcome'));
    agent.agentId = welcome.type === 'welcome' ? welcome.agentId : '';
    return agent;
  }

  /**
   * A task issued to this agent (the task message received), asked for until the API grants one (it cannot
   * while the database is down); null once the test stops.
   */
  async reserve(): Promise<string | null> {
    while (!seen.stopped) {
      const response = await fetch(`${this.#coordinator}/api/v1/measurements`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.#operatorKey}` },
        body: JSON.stringify({ agentId: this.agentId, target: TARGET }),
      }).catch(() => null);
      if (response?.status === 202) {
        const { taskId } = (await response.json()) as { taskId: string };
        await until(`task ${taskId}`, () =>
          this.messages.find((m) => m.type === 'task' && m.taskId === taskId),
        );
        return taskId;
      }
      await response?.body?.cancel();
      await sleep(50);
    }
    return null;
  }

  /** Answers `taskId`, sending the result again after each `retryAfterMs` until it is acknowledged. */
  async answer(taskId: string): Promise<string> {
    const k = this.#answered++;
    const resultId = `r-${this.agentId}-${k}-${taskId}`;
    const result = {
      type: 'result',
      resultId,
      taskId,
      target: TARGET,
      engine: 'traceroute',
      output: k % 2 === 0 ? DETOUR_OUTPUT : DOMESTIC_OUTPUT,
      startedAt: new Date().toISOString(),
      durationMs: 900,
    };
    try {
      for (;;) {
        const sentAt = Date.now();
        const ack = await new Promise<CoordinatorMessage>((resolve) => {
          this.#waiting.set(resultId, resolve);
          this.#ws.send(JSON.stringify(result));
        });
        if (ack.type !== 'ack') throw new Error(`not an ack: ${JSON.stringify(ack)}`);
        if (ack.status === 'stored' || ack.status === 'duplicate') {
          seen.sentAt.set(resultId, sentAt);
          seen.acknowledged.set(resultId, Date.now());
          return resultId;
        }
        if (ack.status !== 'retry') throw new Error(`refused: ${JSON.stringify(ack)}`);
        seen.retries += 1;
        await sleep(ack.retryAfterMs);
        if (seen.stopped) return resultId;
      }
    } finally {
      this.#waiting.delete(resultId);
    }
  }

  /** Answers tasks one after another until the test stops. */
  async run(): Promise<void> {
    for (;;) {
      const taskId = await this.reserve();
      if (taskId === null) return;
      await this.answer(taskId);
    }
  }

  close(): void {
    this.#ws.close();
  }
}

let cluster: Cluster | undefined;
let coordinator: Serve | undefined;
let store: PgStore | undefined;

afterAll(async () => {
  seen.stopped = true;
  await store?.close().catch(() => {});
  coordinator?.child.kill('SIGKILL');
  await cluster?.stop();
}, 30_000);

describe('PostgreSQL crashes during ingest', skipUnless('the PostgreSQL crash test', postgres), () => {
  let database = '';
  let operatorKey = '';

  beforeAll(async () => {
    cluster = await startCluster({ fsync: true });
    database = (await testDatabase(cluster.url)).url;
    coordinator = await serve(database);
    operatorKey = await tokenCreate(database, 'operator', 'operator');
    // The coordinator's own connection settings (open.ts), on a pool of its own for the test's queries.
    store = await openPostgresStore({ url: database, create: false, poolSize: 2 });
  }, 60_000);

  it('runs the coordinator’s sessions with synchronous_commit on', async () => {
    const { rows } = await (store as PgStore).pool.query<{ synchronous_commit: string }>(
      'SHOW synchronous_commit',
    );
    expect(rows[0]?.synchronous_commit).toBe('on');
    // Nothing in the database or for its role turns it off for other sessions either.
    const { rows: overrides } = await (store as PgStore).pool.query<{ setconfig: string[] }>(
      `SELECT setconfig FROM pg_db_role_setting WHERE array_to_string(setconfig, ',') LIKE '%synchronous_commit%'`,
    );
    expect(overrides).toEqual([]);
    // And the coordinator's own sessions, as the server lists them, are connected under that setting.
    const { rows: sessions } = await (store as PgStore).pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
       WHERE application_name = 'detourwatch' AND datname = current_database() AND pid <> pg_backend_pid()`,
    );
    expect(sessions[0]?.n).toBeGreaterThan(0);
  });

  it('keeps every acknowledged result through crashes, answers retry while down, and recovers by itself', async () => {
    const seed = Date.now() % 1_000_000;
    console.log(`power-loss-postgres: seed ${seed}`);
    const rand = random(seed);
    const started = Date.now();
    const c = coordinator as Serve;
    const pgStore = store as PgStore;
    const agents = await Promise.all(
      Array.from({ length: AGENTS }, async (_, n) =>
        Agent.connect(c, await tokenCreate(database, `agent-${n}`, 'agent'), n, operatorKey),
      ),
    );
    const running = agents.map((a) => a.run());
    const storedIds = async () =>
      new Set(
        (await pgStore.pool.query<{ result_id: string }>('SELECT result_id FROM results')).rows.map(
          (r) => r.result_id,
        ),
      );

    const report: string[] = [];
    /** From when every server process had ended to just before the restart began. */
    const outages: { down: number; restartAt: number }[] = [];
    for (let k = 0; k < CRASHES; k++) {
      // Results flowing, then the crash at a random moment of it.
      // A task per agent issued now and answered only once the server is down.
      const held = await Promise.all(agents.map((a) => a.reserve()));
      const before = seen.acknowledged.size;
      await until(`acks flowing before crash ${k}`, () =>
        seen.acknowledged.size >= before + 12 ? true : undefined,
      );
      await sleep(rand() * 500);
      const crashAt = Date.now();
      await (cluster as Cluster).crash();
      // Everything acknowledged so far was committed before the server went away.
      const promised = [...seen.acknowledged].filter(([, at]) => at <= crashAt).map(([id]) => id);
      const down = Date.now();
      const retriesBefore = seen.retries;
      // Down a while: agents keep sending (a fresh result each among them); none may be acknowledged stored.
      const answering = held.map((task, i) => (agents[i] as Agent).answer(task as string));
      await until(`retry acks while down (crash ${k})`, () =>
        seen.retries - retriesBefore >= AGENTS ? true : undefined,
      );
      await sleep(rand() * 700);
      const retriesWhileDown = seen.retries - retriesBefore;
      outages.push({ down, restartAt: Date.now() });
      await (cluster as Cluster).restart();
      const up = Date.now();

      const present = await storedIds();
      const missing = promised.filter((id) => !present.has(id));
      expect(missing, `crash ${k}: acknowledged before the crash but absent after recovery`).toEqual([]);

      // The coordinator, never restarted, stores again: new results acknowledged after the restart.
      const firstAfter = await until(
        `a result stored after restart ${k}`,
        () => [...seen.acknowledged.values()].find((at) => at > up),
        30_000,
      );
      // The results first sent while it was down are stored once it is back, by the agents' retries alone.
      const sentWhileDown = await Promise.all(answering);
      for (const id of sentWhileDown) expect(seen.acknowledged.get(id) ?? 0, id).toBeGreaterThan(up);
      report.push(
        `crash ${k}: ${promised.length} acknowledged before, all present; ${retriesWhileDown} retry acks while down; ` +
          `storing again ${firstAfter - up} ms after the restart`,
      );
    }
    seen.stopped = true;
    await Promise.race([Promise.all(running), sleep(15_000)]);
    for (const agent of agents) agent.close();

    // A result sent after the server was gone and acknowledged before it was started again cannot have
    // been committed: such an ack would be a lie.
    const storedWhileDown = [...seen.acknowledged].filter(([id, at]) => {
      const sent = seen.sentAt.get(id) ?? 0;
      return outages.some((o) => sent > o.down && at < o.restartAt);
    });
    expect(storedWhileDown, 'results sent while PostgreSQL was down but acknowledged stored').toEqual([]);
    expect(seen.retries, 'agents heard retry during the outages').toBeGreaterThan(0);
    const all = await storedIds();
    const lost = [...seen.acknowledged.keys()].filter((id) => !all.has(id));
    expect(lost, 'acknowledged but absent at the end').toEqual([]);
    expect(c.child.exitCode, `the coordinator kept running:\n${c.output().slice(-2000)}`).toBeNull();
    console.log(
      `power-loss-postgres: ${report.join('; ')}; ${seen.acknowledged.size} results acknowledged in all, ` +
        `every one present (${CRASHES} crashes in ${Date.now() - started} ms)`,
    );
  }, 90_000);
});
