import { describeError } from '../../protocol/errors.ts';
import type { EventStore } from '../store/event-store.ts';

/** How long stored events stay replayable by default: a week of reconnects. */
export const DEFAULT_EVENT_RETENTION_MS = 7 * 24 * 3_600_000;
/** The newest events kept whatever their age, so a quiet network still has something to resume from. */
export const DEFAULT_EVENTS_KEPT = 10_000;
const DEFAULT_EVERY_MS = 3_600_000;

export interface EventRetentionOptions {
  store: Pick<EventStore, 'pruneEvents'>;
  /** Events older than this are deleted (a client resuming from before them is told what it lost). */
  retentionMs?: number;
  keep?: number;
  everyMs?: number;
  now: () => number;
  log: (line: string) => void;
}

/**
 * Bounds the events table: once at start and then every `everyMs`, the events older than `retentionMs` are
 * deleted, except the newest `keep`. Several coordinators may all run it: a prune only moves the retention
 * mark forward. Returns the function that stops it.
 */
export function startEventRetention(options: EventRetentionOptions): () => void {
  const retentionMs = options.retentionMs ?? DEFAULT_EVENT_RETENTION_MS;
  const keep = options.keep ?? DEFAULT_EVENTS_KEPT;
  let running = false;
  const prune = async (): Promise<void> => {
    if (running) return;
    running = true;
    try {
      const deleted = await options.store.pruneEvents({ before: options.now() - retentionMs, keep });
      if (deleted > 0) options.log(`events: retention deleted ${deleted} event(s)`);
    } catch (err) {
      options.log(`events: retention failed, trying again later: ${describeError(err)}`);
    } finally {
      running = false;
    }
  };
  void prune();
  const timer = setInterval(() => void prune(), options.everyMs ?? DEFAULT_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
