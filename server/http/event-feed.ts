import { describeError } from '../../protocol/errors.ts';
import type { EventStore, StoredEvent } from '../store/event-store.ts';
import type { EncodedEvent } from './event-encoding.ts';

/** How often the feed reads the events table while anyone listens (a NOTIFY wakes it earlier). */
const DEFAULT_POLL_MS = 1000;
/** Most events one read hands on; a backlog arrives over a few reads. */
const POLL_BATCH = 500;

/** What a listener is handed: the next stored event, or the news that retention deleted some unread. */
export type FeedItem = { event: EncodedEvent } | { lost: { after: number; prunedThrough: number } };

export interface FeedSubscription {
  /** Resolves once the feed knows where it reads from: every event after that seq reaches the listener. */
  readonly ready: Promise<void>;
  stop(): void;
}

export interface EventFeed {
  /** Hands `listener` every event the feed reads from now on, in seq order. */
  subscribe(listener: (item: FeedItem) => void): FeedSubscription;
  /** Stored events as the stream sends them (a replay encodes as the feed does). */
  encode(events: readonly StoredEvent[]): Promise<EncodedEvent[]>;
  close(): Promise<void>;
}

/**
 * One reader of the shared events table per coordinator, however many clients follow it: it polls
 * `seq > position` while anyone listens, and reads early when the store says events were appended (on
 * PostgreSQL a NOTIFY from any coordinator). Events come in commit order (event-store.ts), so reading past
 * the newest seq seen never skips one. Each event is encoded once (`encode`: a detour's summary is read from
 * the store), for every client.
 */
export function eventFeed(
  store: Pick<EventStore, 'eventsAfter' | 'lastEventSeq' | 'watchEvents'>,
  options: {
    encode: (events: readonly StoredEvent[]) => Promise<EncodedEvent[]>;
    pollMs?: number;
    log?: (line: string) => void;
  },
): EventFeed {
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  const log = options.log ?? (() => {});
  const listeners = new Set<(item: FeedItem) => void>();
  /** One per run of listening (from the first listener to the last one leaving). */
  let run: {
    position: number | null;
    started: Promise<void>;
    timer: NodeJS.Timeout;
    unwatch: Promise<(() => Promise<void>) | null>;
  } | null = null;
  let reading = false;
  let readAgain = false;

  const deliver = (item: FeedItem): void => {
    for (const listener of listeners) listener(item);
  };

  async function read(): Promise<void> {
    if (reading) {
      readAgain = true;
      return;
    }
    reading = true;
    const current = run;
    try {
      do {
        readAgain = false;
        if (current === null || current.position === null) return;
        for (;;) {
          const page = await store.eventsAfter(current.position, { limit: POLL_BATCH });
          if (run !== current || current.position === null) return;
          if (page.prunedThrough > current.position) {
            deliver({ lost: { after: current.position, prunedThrough: page.prunedThrough } });
            current.position = page.prunedThrough;
          }
          const encoded = await options.encode(page.events);
          if (run !== current) return;
          for (const event of encoded) {
            current.position = Math.max(current.position, event.seq);
            deliver({ event });
          }
          if (page.events.length < POLL_BATCH) break;
        }
      } while (readAgain);
    } catch (err) {
      // A busy or closing database must not take the coordinator down; the next poll reads again.
      log(`events: cannot read new events: ${describeError(err)}`);
    } finally {
      reading = false;
    }
  }

  function start(): NonNullable<typeof run> {
    const timer = setInterval(() => void read(), pollMs);
    timer.unref();
    const current: NonNullable<typeof run> = {
      position: null,
      timer,
      started: Promise.resolve(),
      unwatch: store
        .watchEvents(() => void read())
        .catch((err) => {
          log(`events: cannot listen for new events (polling every ${pollMs} ms): ${describeError(err)}`);
          return null;
        }),
    };
    current.started = (async () => {
      for (;;) {
        try {
          const last = await store.lastEventSeq();
          if (run === current && current.position === null) current.position = last;
          return;
        } catch (err) {
          if (run !== current) return;
          log(`events: cannot start the feed, trying again: ${describeError(err)}`);
          await new Promise((resolve) => setTimeout(resolve, pollMs));
        }
      }
    })();
    return current;
  }

  async function stop(): Promise<void> {
    const current = run;
    run = null;
    if (current === null) return;
    clearInterval(current.timer);
    const unwatch = await current.unwatch;
    await unwatch?.().catch(() => {});
  }

  return {
    subscribe(listener) {
      run ??= start();
      const current = run;
      listeners.add(listener);
      return {
        ready: current.started,
        stop() {
          listeners.delete(listener);
          if (listeners.size === 0 && run === current) void stop();
        },
      };
    },
    encode: (events) => options.encode(events),
    async close() {
      listeners.clear();
      await stop();
    },
  };
}
