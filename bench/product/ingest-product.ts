/**
 * Ingest through the product: a real coordinator in one child process, the simulated agents in another
 * (so they do not take the coordinator's core), on 127.0.0.1. Per run: traceroutes acknowledged per second
 * in the measured window, the coordinator's CPU use and memory over that window.
 */
import { fileURLToPath } from 'node:url';
import { Child, cpuSeconds, residentMiB } from '../child.ts';
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
  /** Extra node flags for the coordinator (e.g. --cpu-prof). */
  coordinatorExecArgv?: string[];
}

export interface ProductRun {
  tracesPerSecond: number;
  /** Share of one core the coordinator used during the window. */
  coordinatorCpu: number;
  /** Share of one core the simulated agents used during the window. */
  agentsCpu: number;
  rssMiB: number;
  peakRssMiB: number;
  stored: { results: number; traces: number; resultsWithErrors: number };
  agentErrors: number;
}

export interface ProductIngestResult {
  runs: ProductRun[];
  tracesPerSecond: number;
  rssMiB: number;
  peakRssMiB: number;
  coordinatorCpu: number;
  agentsCpu: number;
}

async function oneRun(options: ProductIngestOptions, run: number): Promise<ProductRun> {
  const coordinator = new Child(COORDINATOR, [], options.coordinatorExecArgv ?? []);
  try {
    coordinator.send({ type: 'job', job: { agents: options.agents } satisfies CoordinatorJob });
    const ready = await coordinator.next('ready', 60_000);
    const agents = new Child(AGENTS);
    try {
      const job: AgentsJob = {
        agentUrl: String(ready.agentUrl),
        tokens: ready.tokens as string[],
        window: options.window,
        variants: options.variants,
        warmupMs: options.warmupMs,
        measureMs: options.measureMs,
        run,
      };
      agents.send({ type: 'job', job });
      // Memory and CPU of the coordinator across the measured window.
      await new Promise((r) => setTimeout(r, options.warmupMs));
      const cpuStart = cpuSeconds(coordinator.pid);
      const agentsCpuStart = cpuSeconds(agents.pid);
      const t0 = performance.now();
      const rss: number[] = [];
      while (performance.now() - t0 < options.measureMs) {
        await new Promise((r) => setTimeout(r, 250));
        const m = residentMiB(coordinator.pid);
        if (m) rss.push(m.rss);
      }
      const seconds = (performance.now() - t0) / 1000;
      const coordinatorCpu = (cpuSeconds(coordinator.pid) - cpuStart) / seconds;
      const agentsCpu = (cpuSeconds(agents.pid) - agentsCpuStart) / seconds;
      const result = await agents.next('result', options.measureMs + 60_000);
      const peak = residentMiB(coordinator.pid)?.peak ?? Number.NaN;
      coordinator.send({ type: 'counts' });
      const counts = (await coordinator.next('counts', 30_000)).counts as ProductRun['stored'];
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
      };
    } finally {
      await agents.stop();
    }
  } finally {
    await coordinator.stop(30_000);
  }
}

export async function benchIngestProduct(options: ProductIngestOptions): Promise<ProductIngestResult> {
  const runs: ProductRun[] = [];
  for (let i = 0; i < options.runs; i++) runs.push(await oneRun(options, i));
  return {
    runs,
    tracesPerSecond: median(runs.map((r) => r.tracesPerSecond)),
    rssMiB: median(runs.map((r) => r.rssMiB)),
    peakRssMiB: Math.max(...runs.map((r) => r.peakRssMiB)),
    coordinatorCpu: median(runs.map((r) => r.coordinatorCpu)),
    agentsCpu: median(runs.map((r) => r.agentsCpu)),
  };
}
