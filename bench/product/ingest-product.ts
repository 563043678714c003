/**
 * Ingest through the product: a real coordinator in one child process, the simulated agents in another
 * (so they do not take the coordinator's core), on 127.0.0.1. Per run: traceroutes acknowledged per second
 * in the measured window, the coordinator's CPU use and memory over that window. On SQLite (a fresh
 * directory per run) or on PostgreSQL (a fresh database per run, from `database`), there through one
 * coordinator or several on the same database with the agents split between them.
 */
import { fileURLToPath } from 'node:url';
import { Child, type ChildMessage, cpuSeconds, residentMiB } from '../child.ts';
import { median } from '../stats.ts';
import type { AgentsJob } from './agents-child.ts';
import type { CoordinatorJob } from './coordinator-child.ts';

const COORDINATOR = fileURLToPath(new URL('./coordinator-child.ts', import.meta.url));
const AGENTS = fileURLToPath(new URL('./agents-child.ts', import.meta.url));

export interface ProductIngestOptions {
  agents: number;
  window: number;
  variants: number;
  warmupMs: number;
  measureMs: number;
  runs: number;
  /** The coordinator's analysis worker threads (serve --analysis-workers); absent or 0: in its main thread. */
  analysisWorkers?: number;
  /** Extra node flags for the coordinator (e.g. --cpu-prof). */
  coordinatorExecArgv?: string[];
  /**
   * The store on PostgreSQL: a new empty database (its URL, and how to drop it) for all the runs; absent:
   * SQLite, a new directory per run.
   */
  database?: () => Promise<{ url: string; drop(): Promise<void> }>;
  /** Coordinators on the one database (PostgreSQL only; default 1). */
  coordinators?: number;
  /**
   * Ingest into (and serve from) an existing SQLite store instead of a new one: every run writes into it, the
   * coordinator's clock starts at its `asOf` and the agents' traces start there (issue 17: growth, load).
   */
  existing?: { dataDir: string; asOf: number };
  /** All agents together send this many results per second (paced); absent: as fast as their windows allow. */
  ratePerSecond?: number;
  /**
   * Work done while the agents ingest (queries against the coordinator's API): the measured window starts
   * after the warm-up and lasts until it returns, instead of `measureMs`.
   */
  during?: (coordinator: { url: string }) => Promise<unknown>;
  /** The coordinator's RSS is kept every this many ms of the window (default 5,000). */
  rssEveryMs?: number;
}

export interface ProductRun {
  tracesPerSecond: number;
  /** Share of one core the coordinators used during the window (summed). */
  coordinatorCpu: number;
  /** Share of one core the simulated agents used during the window. */
  agentsCpu: number;
  /** Of the (first) coordinator. */
  rssMiB: number;
  peakRssMiB: number;
  stored: { results: number; traces: number; resultsWithErrors: number };
  agentErrors: number;
  /** The measured window (measureMs, or as long as `during` took). */
  windowSeconds: number;
  /** Acknowledgement latency seen by the agents in the window, send to ack. */
  ackP50Ms: number;
  ackP99Ms: number;
  ackMaxMs: number;
  /** The (first) coordinator's RSS through the window: seconds since its start, MiB. */
  rssTimeline: { atSeconds: number; mib: number }[];
  /** What `during` returned. */
  duringResult?: unknown;
}

export interface ProductIngestResult {
  runs: ProductRun[];
  tracesPerSecond: number;
  rssMiB: number;
  peakRssMiB: number;
  coordinatorCpu: number;
  agentsCpu: number;
}

async function oneRun(options: ProductIngestOptions, run: number, database?: string): Promise<ProductRun> {
  const count = database ? Math.max(1, options.coordinators ?? 1) : 1;
  const coordinators: Child[] = [];
  try {
    // One at a time: the first migrates the database and makes the tokens, the others join it.
    const ready: ChildMessage[] = [];
    for (let c = 0; c < count; c++) {
      const child = new Child(COORDINATOR, [], options.coordinatorExecArgv ?? []);
      coordinators.push(child);
      const job: CoordinatorJob = {
        tokens: c === 0 ? options.agents : 0,
        ...(database ? { database } : {}),
        analysisWorkers: options.analysisWorkers ?? 0,
        ...(options.existing ? { existing: options.existing } : {}),
      };
      child.send({ type: 'job', job });
      ready.push(await child.next('ready', 60_000));
    }
    const [first] = coordinators;
    if (!first) throw new Error('no coordinator');
    const agents = new Child(AGENTS);
    try {
      const job: AgentsJob = {
        agentUrls: ready.map((r) => String(r.agentUrl)),
        tokens: ready[0]?.tokens as string[],
        window: options.window,
        variants: options.variants,
        warmupMs: options.warmupMs,
        measureMs: options.measureMs,
        run,
        ...(options.ratePerSecond === undefined ? {} : { ratePerSecond: options.ratePerSecond }),
        ...(options.existing ? { startedAt: new Date(options.existing.asOf).toISOString() } : {}),
        ...(options.during ? { untilFinished: true } : {}),
      };
      agents.send({ type: 'job', job });
      // Memory and CPU of the coordinators across the measured window.
      await new Promise((r) => setTimeout(r, options.warmupMs));
      const cpuOf = () => coordinators.reduce((sum, c) => sum + cpuSeconds(c.pid), 0);
      const cpuStart = cpuOf();
      const agentsCpuStart = cpuSeconds(agents.pid);
      const t0 = performance.now();
      const rss: number[] = [];
      const rssTimeline: ProductRun['rssTimeline'] = [];
      const every = options.rssEveryMs ?? 5_000;
      let duringResult: unknown;
      let duringDone = false;
      const during = options.during?.({ url: String(ready[0]?.url) }).then(
        (r) => {
          duringResult = r;
          duringDone = true;
        },
        (err: unknown) => {
          duringDone = true;
          throw err;
        },
      );
      // A failing `during` is reported once the agents are stopped.
      during?.catch(() => {});
      const inWindow = () => (during ? !duringDone : performance.now() - t0 < options.measureMs);
      while (inWindow()) {
        await new Promise((r) => setTimeout(r, 250));
        const m = residentMiB(first.pid);
        if (!m) continue;
        rss.push(m.rss);
        const at = (performance.now() - t0) / 1000 + options.warmupMs / 1000;
        const last = rssTimeline[rssTimeline.length - 1];
        if (!last || (at - last.atSeconds) * 1000 >= every) rssTimeline.push({ atSeconds: at, mib: m.rss });
      }
      if (during) {
        agents.send({ type: 'finish' });
        await during;
      }
      const seconds = (performance.now() - t0) / 1000;
      const coordinatorCpu = (cpuOf() - cpuStart) / seconds;
      const agentsCpu = (cpuSeconds(agents.pid) - agentsCpuStart) / seconds;
      const result = await agents.next('result', 60_000);
      const peak = residentMiB(first.pid)?.peak ?? Number.NaN;
      first.send({ type: 'counts' });
      const counts = (await first.next('counts', 30_000)).counts as ProductRun['stored'];
      return {
        tracesPerSecond: Number(result.perSecond) * (counts.traces / Math.max(1, counts.results)),
        coordinatorCpu,
        agentsCpu,
        rssMiB: median(rss),
        peakRssMiB: peak,
        stored: {
          results: counts.results,
          traces: counts.traces,
          resultsWithErrors: counts.resultsWithErrors,
        },
        agentErrors: Number(result.errors),
        windowSeconds: Number(result.windowSeconds),
        ackP50Ms: Number(result.ackP50Ms),
        ackP99Ms: Number(result.ackP99Ms),
        ackMaxMs: Number(result.ackMaxMs),
        rssTimeline,
        ...(during ? { duringResult } : {}),
      };
    } finally {
      await agents.stop();
    }
  } finally {
    for (const c of coordinators) await c.stop(30_000);
  }
}

export async function benchIngestProduct(options: ProductIngestOptions): Promise<ProductIngestResult> {
  const runs: ProductRun[] = [];
  const database = options.database ? await options.database() : null;
  try {
    // The recorded traces carry the months they were recorded in: a first, unmeasured run makes those
    // months' partitions (each a DDL that locks the table), as a running database has this month's.
    if (database) await oneRun(options, options.runs, database.url);
    for (let i = 0; i < options.runs; i++) runs.push(await oneRun(options, i, database?.url));
  } finally {
    await database?.drop();
  }
  return {
    runs,
    tracesPerSecond: median(runs.map((r) => r.tracesPerSecond)),
    rssMiB: median(runs.map((r) => r.rssMiB)),
    peakRssMiB: Math.max(...runs.map((r) => r.peakRssMiB)),
    coordinatorCpu: median(runs.map((r) => r.coordinatorCpu)),
    agentsCpu: median(runs.map((r) => r.agentsCpu)),
  };
}
