/** Sequential HTTP requests on 127.0.0.1, timed from request to the last byte of the body. */
import { quantile } from '../stats.ts';

export interface Latency {
  p50: number;
  p95: number;
  max: number;
  samples: number;
  bytes: number;
  status: number;
  /** Every timed request, ms (to merge repeated runs). */
  samplesMs: number[];
}

/** A slow query's run stops after its budget, with at least this many timed requests. */
const MIN_SAMPLES = 5;

export async function timeRequests(
  url: string,
  requests: number,
  warmup: number,
  budgetMs: number,
): Promise<Latency> {
  let status = 0;
  let bytes = 0;
  const samples: number[] = [];
  const began = performance.now();
  for (let i = 0; i < warmup + requests; i++) {
    if (samples.length >= MIN_SAMPLES && performance.now() - began > budgetMs) break;
    const t0 = performance.now();
    const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
    const body = await res.arrayBuffer();
    const ms = performance.now() - t0;
    status = res.status;
    bytes = body.byteLength;
    if (i >= warmup) samples.push(ms);
  }
  return {
    p50: quantile(samples, 0.5),
    p95: quantile(samples, 0.95),
    max: Math.max(...samples),
    samples: samples.length,
    bytes,
    status,
    samplesMs: samples,
  };
}
