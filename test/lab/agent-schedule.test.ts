/**
 * Lab: the whole network end to end with real tools. A coordinator (`detourwatch serve`) and real agents
 * (`detourwatch agent`) run inside the agent's network namespace; the coordinator schedules both targets of
 * its --targets file on its own (no POST /api/v1/measurements); each agent traces them across real Linux
 * routers with its engine, and the stored verdicts are read back from the SQLite file: the path through the
 * router a test database places in Shanghai is a detour, the all-US path is domestic.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectEngines } from '../../agent/engines/detect.ts';
import { ENGINE_NAMES, type EngineName } from '../../agent/engines/types.ts';
import type { Verdict } from '../../protocol/verdict.ts';
import { DATABASE_FILE } from '../../server/store/sqlite/open.ts';
import { decodeVerdict } from '../../server/store/verdict-codec.ts';
import { REPO_ROOT } from '../agent/agent-process.ts';
import { createToken } from '../agent/coordinator-process.ts';
import { buildTopology, canBuildLab, type Topology } from '../helpers/netns.ts';
import { DETOUR_LAB, LOS_ANGELES, labKmPerMs, PATHS, placeOf, writeLabDatabases } from './lab-world.ts';

const lab = canBuildLab();
const available = await detectEngines();
const missing = ENGINE_NAMES.filter((name) => !available.includes(name));
if (!lab.ok) console.warn(`SKIPPED: lab agent-schedule, because ${lab.why}`);
if (missing.length > 0) {
  console.warn(`SKIPPED: lab agent-schedule, because ${missing.join(', ')} not installed`);
}

const BIN = path.join(REPO_ROOT, 'bin/detourwatch.js');
const INTERVAL_S = 2;
/** The agent declares Los Angeles, where the database also places its first router. */
const AGENT_AT = { lat: LOS_ANGELES.lat, lon: LOS_ANGELES.lon };
/**
 * The namespaces add no delay (this kernel has no netem), so every RTT is about 0.1 ms and the real bound of
 * 100 km per ms would refute the Shanghai placement, correctly. The coordinator gets a bound under which no
 * RTT the tools can report refutes any placement of this lab, so the CN claim stands and the verdict logic
 * downstream of the physics is what this test exercises.
 */
const KM_PER_MS = labKmPerMs(AGENT_AT);

/** One agent per engine: the default choice (scamper, preferred when installed) and each fallback forced. */
const AGENTS: { name: string; engine: EngineName | null; expected: EngineName; rounds: number }[] = [
  // No --engine: the agent picks. It must also show the schedule recurring: two rounds, INTERVAL_S apart.
  { name: 'default', engine: null, expected: 'scamper', rounds: 2 },
  { name: 'mtr', engine: 'mtr', expected: 'mtr', rounds: 1 },
  { name: 'traceroute', engine: 'traceroute', expected: 'traceroute', rounds: 1 },
];

interface Running {
  child: ChildProcess;
  output(): string;
  exited: Promise<unknown>;
}

/** Runs `detourwatch ARGS` inside a namespace; `ip netns exec` execs it, so the pid is node's own. */
function runInNamespace(namespace: string, args: string[]): Running {
  const child = spawn('ip', ['netns', 'exec', namespace, process.execPath, BIN, ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise((resolve) => child.on('exit', resolve));
  return { child, output: () => output, exited };
}

async function stop(running: Running | undefined): Promise<void> {
  if (!running || running.child.exitCode !== null || running.child.signalCode !== null) return;
  running.child.kill('SIGTERM');
  const timer = setTimeout(() => running.child.kill('SIGKILL'), 5000);
  await running.exited;
  clearTimeout(timer);
}

async function until<T>(what: string, timeoutMs: number, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

interface StoredRow {
  traceId: number;
  traceAgent: string | null;
  resultAgent: string;
  taskId: string | null;
  target: string;
  engine: string;
  tool: string;
  destination: string | null;
  verdict: string;
  error: string | null;
  detail: Verdict;
}

describe.skipIf(!lab.ok || missing.length > 0)('lab: agents trace on the coordinator schedule', () => {
  let topology: Topology | undefined;
  let serve: Running | undefined;
  const agents = new Map<string, Running>();
  let db: Database.Database | undefined;
  let dir: string | undefined;
  const agentIds = new Map<string, string>();
  let targets: { detour: string; domestic: string };

  const opened = (): Database.Database => {
    if (db === undefined) throw new Error('the coordinator database is not open (beforeAll failed)');
    return db;
  };
  const rowsOf = (agentId: string): StoredRow[] =>
    (
      opened()
        .prepare(
          `SELECT t.id AS traceId, t.agent_id AS traceAgent, r.agent_id AS resultAgent, r.task_id AS taskId,
                  r.target, r.engine, t.tool, t.destination_ip AS destination, t.verdict, r.error,
                  t.verdict_json AS detail, t.verdict_z AS detailZ
             FROM results r JOIN traces t ON t.result_id = r.id
            WHERE r.agent_id = ? ORDER BY r.id`,
        )
        .all(agentId) as (Omit<StoredRow, 'detail'> & { detail: string; detailZ: Buffer | null })[]
    ).map(({ detailZ, ...row }) => ({ ...row, detail: decodeVerdict(row.detail, detailZ) }));

  beforeAll(async () => {
    const began = Date.now();
    const work = mkdtempSync(path.join(os.tmpdir(), 'dw-lab-schedule-'));
    dir = work;
    topology = await buildTopology(DETOUR_LAB);
    const ns = topology.namespace('agent');
    const address = (node: string, towards: string) => topology?.address(node, towards, 4) ?? '';
    targets = { detour: address('ta', 'r3'), domestic: address('tb', 'r4') };
    const { cityDb, asnDb } = writeLabDatabases(work);
    const targetsFile = path.join(work, 'targets.txt');
    writeFileSync(targetsFile, `# the lab's two targets\n${targets.detour}\n${targets.domestic}\n`);
    const dataDir = path.join(work, 'data');
    console.log(
      `lab agent-schedule: --km-per-ms ${KM_PER_MS} instead of 100, because the namespaces add no delay ` +
        '(no netem): at ~0.1 ms every RTT would refute the Shanghai placement; this bound refutes nothing',
    );
    serve = runInNamespace(ns, [
      'serve',
      ...['--host', '127.0.0.1', '--port', '0', '--data', dataDir],
      ...['--city-db', cityDb, '--asn-db', asnDb, '--look-up-documentation'],
      ...['--km-per-ms', String(KM_PER_MS), '--targets', targetsFile, '--interval', `${INTERVAL_S}s`],
    ]);
    const port = await until('serve to listen', 20_000, () => {
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(serve?.output() ?? '');
      if (serve?.child.exitCode !== null) throw new Error(`serve exited:\n${serve?.output()}`);
      return m ? Number(m[1]) : undefined;
    });
    // Tokens after serve: it has created the database, so the token commands only add rows to it.
    const tokens = await Promise.all(AGENTS.map((a) => createToken(dataDir, a.name)));
    AGENTS.forEach((a, i) => {
      const args = ['agent', '--server', `ws://127.0.0.1:${port}`, '--token', tokens[i] ?? ''];
      args.push('--location', `${AGENT_AT.lat},${AGENT_AT.lon}`, '--allow-special-targets');
      args.push('--outbox', path.join(work, `outbox-${a.name}`));
      // Two targets every INTERVAL_S is 60 a minute, above the default limit of 30.
      args.push('--max-per-minute', '120', ...(a.engine === null ? [] : ['--engine', a.engine]));
      agents.set(a.name, runInNamespace(ns, args));
    });
    db = new Database(path.join(dataDir, DATABASE_FILE), { readonly: true, fileMustExist: true });
    for (const a of AGENTS) {
      const row = await until(`agent ${a.name} to say hello`, 15_000, () =>
        opened().prepare('SELECT id FROM agents WHERE name = ?').get(a.name),
      ).catch((err: Error) => {
        throw new Error(`${err.message}\nagent log:\n${agents.get(a.name)?.output()}`);
      });
      agentIds.set(a.name, (row as { id: string }).id);
    }
    console.log(`lab agent-schedule: namespaces, coordinator and 3 agents up in ${Date.now() - began} ms`);
  });

  afterAll(async () => {
    await Promise.all([...agents.values()].map(stop));
    await stop(serve);
    db?.close();
    await topology?.destroy();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  /** What the trace to a path's target must show: each router by the address facing the agent, then the target. */
  function expectedHops(route: readonly string[]): string[] {
    return route.slice(1).map((node, i) => topology?.address(node, route[i] ?? '', 4) ?? '');
  }

  it.each(AGENTS)('$name agent ($expected): detour through CN, domestic all-US', async (a) => {
    const began = Date.now();
    const agentId = agentIds.get(a.name) ?? '';
    const scheduled = (rows: StoredRow[], target: string) => rows.filter((r) => r.target === target);
    const rows = await until(`${a.rounds} round(s) of both targets from ${a.name}`, 25_000, () => {
      const all = rowsOf(agentId);
      const enough = Object.values(targets).every((t) => scheduled(all, t).length >= a.rounds);
      return enough ? all : undefined;
    });
    console.log(`lab agent-schedule: ${a.name}: ${rows.length} traces stored in ${Date.now() - began} ms`);
    const log = agents.get(a.name)?.output() ?? '';

    for (const row of rows) {
      expect(row.error, log).toBeNull();
      expect(row.engine).toBe(a.expected);
      expect(row.tool).toBe(a.expected);
      // From the schedule: a task id the coordinator chose, received by this very agent.
      expect(row.resultAgent).toBe(agentId);
      expect(row.traceAgent).toBe(agentId);
      expect(row.taskId).toEqual(expect.any(String));
      expect(log).toContain(`task-received taskId=${row.taskId} target=${row.target} `);
      expect(row.destination).toBe(row.target);
      // The bound was chosen so that nothing is refuted: every claim the database makes stands.
      expect(row.detail.refutedHops).toEqual([]);
    }
    const ids = rows.map((r) => r.taskId);
    expect(new Set(ids).size).toBe(ids.length);

    for (const [kind, target] of Object.entries(targets) as ['detour' | 'domestic', string][]) {
      const route = PATHS[kind];
      const hops = expectedHops(route);
      const abroad = route.slice(1).flatMap((node, i) => {
        const place = placeOf(node);
        return place.country === 'US' ? [] : [{ ttl: i + 1, ip: hops[i], ...place }];
      });
      for (const row of scheduled(rows, target)) {
        const stored = opened()
          .prepare('SELECT ttl, ip FROM hops WHERE trace_id = ? AND ip IS NOT NULL ORDER BY ttl, seq')
          .all(row.traceId) as { ttl: number; ip: string }[];
        expect(stored, `${a.name} -> ${target}`).toEqual(hops.map((ip, i) => ({ ttl: i + 1, ip })));
        const foreign = opened()
          .prepare('SELECT ttl, ip, country, asn FROM foreign_hops WHERE trace_id = ? ORDER BY ttl')
          .all(row.traceId);
        expect(foreign).toEqual(abroad.map(({ ttl, ip, country, asn }) => ({ ttl, ip, country, asn })));
        expect(row.verdict, row.detail.reason).toBe(kind);
        expect(row.detail.foreignHops.map((h) => [h.ip, h.country, h.asn])).toEqual(
          abroad.map((h) => [h.ip, h.country, h.asn]),
        );
        if (kind === 'detour') expect(row.detail.foreignHops.map((h) => h.country)).toContain('CN');
        // Distinct, in path order, starting with the agent's (declared, home) country.
        expect(row.detail.countries).toEqual([
          ...new Set(['US', ...route.slice(1).map((n) => placeOf(n).country)]),
        ]);
        expect(row.detail.confidence === null).toBe(kind === 'domestic');
      }
    }
    if (a.rounds > 1) {
      // Recurring, not one-off: the second round of a target is sent at least one interval after the first.
      const sent = [...log.matchAll(/^(\S+) info +task-received taskId=\S+ target=(\S+)/gm)];
      for (const target of Object.values(targets)) {
        const times = sent.filter((m) => m[2] === target).map((m) => Date.parse(m[1] ?? ''));
        expect(times.length).toBeGreaterThanOrEqual(2);
        expect((times[1] ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(INTERVAL_S * 1000 - 50);
      }
    }
  });
});
