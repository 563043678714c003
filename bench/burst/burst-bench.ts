/**
 * Backpressure under a burst (issue 17): the coordinator as `serve` wires it (bench/product/coordinator-child.ts)
 * and, in another process, simulated agents whose traces finish at `ratePerSecond` in all (10 x the rate the
 * product sustains) for `burstMs`, each keeping an outbox as the real agent does (burst-agents-child.ts). Measured:
 * the coordinator's peak RSS, the most results its ingest held (against its bound), how often it said
 * slow down, and that nothing acknowledged is missing from the store (acked <= stored) while nothing was
 * dropped by the agents (made = acked + still in their outboxes).
 */
import { fileURLToPath } from 'node:url';
import { DEFAULT_BATCH_MAX, PENDING_PER_BATCH } from '../../server/ingest/ingest.ts';
import { Child, residentMiB } from '../child.ts';
import type { CoordinatorJob } from '../product/coordinator-child.ts';
import type { BurstAgentsJob, BurstAgentsResult } from './burst-agents-child.ts';

const COORDINATOR = fileURLToPath(new URL('../product/coordinator-child.ts', import.meta.url));
const AGENTS = fileURLToPath(new URL('./burst-agents-child.ts', import.meta.url));

export interface BurstOptions {
  agents: number;
  window: number;
  variants: number;
  ratePerSecond: number;
  burstMs: number;
  drainMs: number;
}

export interface BurstResult extends BurstAgentsResult {
  ratePerSecond: number;
  burstSeconds: number;
  peakRssMiB: number;
  /** RSS sampled every 250 ms, MiB. */
  rssMiB: number[];
  pendingBound: number;
  peakPending: number;
  overloaded: number;
  stored: number;
}

interface Health {
  ingest?: { pending?: number; peakPending?: number; overloaded?: number };
}

async function health(url: string): Promise<Health> {
  const res = await fetch(`${url}/healthz`);
  return (await res.json()) as Health;
}

export async function benchBurst(options: BurstOptions): Promise<BurstResult> {
  const coordinator = new Child(COORDINATOR);
  try {
    const job: CoordinatorJob = { tokens: options.agents };
    coordinator.send({ type: 'job', job });
    const ready = await coordinator.next('ready', 60_000);
    const url = String(ready.url);
    const agents = new Child(AGENTS);
    const rss: number[] = [];
    let result: BurstAgentsResult;
    try {
      const agentsJob: BurstAgentsJob = {
        agentUrl: String(ready.agentUrl),
        tokens: ready.tokens as string[],
        window: options.window,
        variants: options.variants,
        ratePerAgent: options.ratePerSecond / options.agents,
        burstMs: options.burstMs,
        drainMs: options.drainMs,
      };
      agents.send({ type: 'job', job: agentsJob });
      const sampler = setInterval(() => {
        const m = residentMiB(coordinator.pid);
        if (m) rss.push(m.rss);
      }, 250);
      try {
        result = (await agents.next(
          'result',
          options.burstMs + options.drainMs + 60_000,
        )) as unknown as BurstAgentsResult;
      } finally {
        clearInterval(sampler);
      }
    } finally {
      await agents.stop();
    }
    // The agents are gone: what the coordinator still held is written (or answered) by now or at close.
    const peakRssMiB = residentMiB(coordinator.pid)?.peak ?? Number.NaN;
    const h = await health(url);
    coordinator.send({ type: 'counts' });
    const counts = (await coordinator.next('counts', 30_000)).counts as { results: number };
    return {
      ...result,
      ratePerSecond: options.ratePerSecond,
      burstSeconds: options.burstMs / 1000,
      peakRssMiB,
      rssMiB: rss,
      pendingBound: PENDING_PER_BATCH * DEFAULT_BATCH_MAX,
      peakPending: h.ingest?.peakPending ?? Number.NaN,
      overloaded: h.ingest?.overloaded ?? Number.NaN,
      stored: counts.results,
    };
  } finally {
    await coordinator.stop(60_000);
  }
}
