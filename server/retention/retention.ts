import { describeError } from '../../protocol/errors.ts';
import type { PurgeCounts, RetentionStore } from '../store/retention-store.ts';

const DAY_MS = 86_400_000;

export interface RetentionOptions {
  store: RetentionStore;
  /** Raw hops and outputs older than this many days are deleted. */
  retainDays: number;
  /** How often to look for old data (default hourly). */
  intervalMs?: number;
  /** Traces (and outputs) per transaction. */
  batchSize?: number;
  now?: () => number;
  log?: (line: string) => void;
}

export interface Retention {
  /** Purges everything past the cutoff now, batch after batch, yielding to other work between batches. */
  runOnce(): Promise<PurgeCounts>;
  stop(): Promise<void>;
}

/**
 * Runs the purge at start and then periodically, until stopped: batch after batch of the store's short
 * purge transactions, so the work never holds the write lock for long.
 */
export function startRetention(options: RetentionOptions): Retention {
  const intervalMs = options.intervalMs ?? 3_600_000;
  const batchSize = options.batchSize ?? 200;
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => {});
  let stopped = false;
  let running: Promise<PurgeCounts> | null = null;

  async function runOnce(): Promise<PurgeCounts> {
    const total: PurgeCounts = { traces: 0, hops: 0, outputs: 0 };
    const cutoff = now() - options.retainDays * DAY_MS;
    while (!stopped) {
      const done = await options.store.purgeRawData(cutoff, batchSize, now());
      total.traces += done.traces;
      total.hops += done.hops;
      total.outputs += done.outputs;
      if (done.traces < batchSize && done.outputs < batchSize) break;
      // Let results, API requests and heartbeats through between batches.
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (total.traces > 0 || total.outputs > 0) {
      log(
        `retention: deleted ${total.hops} hop rows of ${total.traces} traces and ${total.outputs} raw outputs older than ${options.retainDays} days`,
      );
    }
    return total;
  }

  function tick(): void {
    if (running || stopped) return;
    running = runOnce()
      .catch((err) => {
        log(`retention: ${describeError(err)}`);
        return { traces: 0, hops: 0, outputs: 0 };
      })
      .finally(() => {
        running = null;
      });
  }

  const timer = setInterval(tick, intervalMs);
  timer.unref();
  setImmediate(tick);

  return {
    runOnce: async () => {
      while (running) await running;
      return runOnce();
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      while (running) await running;
    },
  };
}
