import { Hono } from 'hono';
import { type SSEStreamingApi, streamSSE } from 'hono/streaming';
import { describeError } from '../../protocol/errors.ts';
import {
  DROPPED_EVENT,
  EVENTS_API,
  EVENTS_LOST_EVENT,
  type EventsLost,
  HELLO_EVENT,
  STORED_EVENT_TYPES,
  type StoredEventType,
  type StreamDropped,
  type StreamHello,
} from '../../protocol/events-api.ts';
import { parseIntIn } from '../../protocol/values/number.ts';
import { quote } from '../../protocol/values/quote.ts';
import { ParameterError } from '../history/parameter-error.ts';
import type { EventStore } from '../store/event-store.ts';
import type { EncodedEvent } from './event-encoding.ts';
import type { EventFeed, FeedItem } from './event-feed.ts';
import { liveQueue } from './live-queue.ts';

/** A comment line this often keeps proxies from closing a quiet stream. */
const KEEPALIVE_MS = 15_000;
/** How long a browser waits before reconnecting a dropped stream. */
const RECONNECT_MS = 3000;
/** Events one replay read hands on. */
const REPLAY_PAGE = 200;
/**
 * How far a live client may fall behind before it is dropped: the events waiting for its socket, and their
 * bytes. Together with the socket's own buffers this bounds the memory a client that stops reading costs;
 * it resumes where it was when it reconnects (Last-Event-ID).
 */
export const EVENTS_MAX_QUEUED = 256;
export const EVENTS_MAX_QUEUED_BYTES = 1024 * 1024;
/** How long the reason may take to reach a client that is not reading before the connection is cut. */
const DROP_GRACE_MS = 10_000;

export interface EventsRouteOptions {
  store: Pick<EventStore, 'eventsAfter' | 'lastEventSeq'>;
  /** The coordinator's one reader of new events (event-feed.ts), which also encodes replayed ones. */
  feed: EventFeed;
  log?: (line: string) => void;
}

/** A seq from `Last-Event-ID` or `?after=`: a whole number of 0 or more. */
function readSeq(name: string, raw: string): number {
  try {
    return parseIntIn(raw, 0, Number.MAX_SAFE_INTEGER);
  } catch {
    throw new ParameterError(
      name,
      `${quote(raw)} is not an event sequence number (a whole number in decimal digits, 0 or more)`,
    );
  }
}

function readTypes(raw: string | null): StoredEventType[] | null {
  if (raw === null || raw.trim() === '') return null;
  const types = raw.split(',').map((t) => t.trim());
  const unknown = types.filter((t) => !(STORED_EVENT_TYPES as readonly string[]).includes(t));
  if (unknown.length > 0) {
    throw new ParameterError(
      'types',
      `${unknown.map(quote).join(', ')} is not an event type: ${STORED_EVENT_TYPES.join(', ')}`,
    );
  }
  return [...new Set(types)] as StoredEventType[];
}

function lostMessage(after: number, prunedThrough: number): EventsLost {
  return {
    after,
    prunedThrough,
    reason:
      `the events after seq ${after} up to seq ${prunedThrough} were deleted by retention before this ` +
      `client read them; the stream goes on after seq ${prunedThrough}`,
  };
}

/**
 * Ends a slow client's stream: the reason as the last event, then the end of the response; a client that
 * does not take even that within DROP_GRACE_MS has its connection destroyed (Node's response, when the app
 * runs under @hono/node-server).
 */
export async function dropSlowClient(env: unknown, stream: SSEStreamingApi, reason: string): Promise<void> {
  const outgoing = (env as { outgoing?: { destroy(): void } } | undefined)?.outgoing;
  const cut = setTimeout(() => outgoing?.destroy(), DROP_GRACE_MS);
  cut.unref();
  const dropped: StreamDropped = { reason };
  await stream.writeSSE({ event: DROPPED_EVENT, data: JSON.stringify(dropped), retry: RECONNECT_MS });
  await stream.close();
  clearTimeout(cut);
}

/**
 * GET /api/v1/events: the stored events after the client's Last-Event-ID (or ?after=), replayed from the
 * store, then live from the coordinator's feed, without a gap or a repeat between the two: the feed is
 * joined first and buffers while the replay reads, and the replay goes on until it has read past what the
 * feed had read when it was joined. Any coordinator serves any client: both read the shared table.
 */
export function eventRoutes(options: EventsRouteOptions): Hono {
  const app = new Hono();
  const log = options.log ?? (() => {});

  app.get(EVENTS_API.stream, (c) => {
    const params = new URL(c.req.url).searchParams;
    const types = readTypes(params.get('types'));
    const header = c.req.header('last-event-id');
    const afterParam = params.get('after');
    // The header wins: EventSource sends it on reconnect, when the page's ?after= is from its first open.
    const given =
      header !== undefined && header.trim() !== ''
        ? readSeq('Last-Event-ID', header)
        : afterParam !== null
          ? readSeq('after', afterParam)
          : null;
    const wanted = types === null ? null : new Set<string>(types);
    return streamSSE(
      c,
      async (stream) => {
        const newest = await options.store.lastEventSeq();
        // A seq above any stored (another database's, or one restored from a backup) would wait for numbers
        // that may never come: such a client starts from now instead, and its hello says so.
        let last = given === null || given > newest ? newest : given;
        let replaying = true;
        let buffer: FeedItem[] = [];
        /** Counts buffers thrown away while replaying: a read begun before one must be followed by another. */
        let discarded = 0;
        let dropReason: string | null = null;
        let wake: (() => void) | null = null;

        const queue = liveQueue<EncodedEvent | { lost: EventsLost }>({
          maxEvents: EVENTS_MAX_QUEUED,
          maxBytes: EVENTS_MAX_QUEUED_BYTES,
          size: (o) => ('lost' in o ? 200 : o.data.length),
          write: async (o) => {
            if ('lost' in o) {
              await stream.writeSSE({ event: EVENTS_LOST_EVENT, data: JSON.stringify(o.lost) });
            } else if (o.seq > last) {
              last = o.seq;
              await stream.writeSSE({ id: String(o.seq), event: o.type, data: o.data });
            }
          },
          overflow: (backlog) => {
            dropReason =
              `this client fell ${backlog.events} events (${backlog.bytes} bytes) behind the live stream ` +
              `(at most ${EVENTS_MAX_QUEUED} events or ${EVENTS_MAX_QUEUED_BYTES} bytes wait for a client); ` +
              `reconnect with Last-Event-ID ${last} to resume`;
            wake?.();
          },
        });

        const live = (item: FeedItem): void => {
          if (replaying) {
            buffer.push(item);
            if (buffer.length > EVENTS_MAX_QUEUED) {
              // The replay reads these from the store anyway: let it go on instead of holding them.
              buffer = [];
              discarded++;
            }
            return;
          }
          if ('lost' in item) {
            queue.push({ lost: lostMessage(item.lost.after, item.lost.prunedThrough) });
            return;
          }
          if (wanted !== null && !wanted.has(item.event.type)) return;
          queue.push(item.event);
        };

        const subscription = options.feed.subscribe(live);
        stream.onAbort(() => {
          subscription.stop();
          wake?.();
        });
        try {
          const hello: StreamHello = {
            after: last,
            last: newest,
            types: types ?? [...STORED_EVENT_TYPES],
          };
          // Its id is where the stream starts: a client cut off before any event resumes from there too.
          await stream.writeSSE({
            id: String(last),
            event: HELLO_EVENT,
            data: JSON.stringify(hello),
            retry: RECONNECT_MS,
          });
          await subscription.ready;
          // Replay: pages from the store until one is short and no buffered live event was thrown away
          // since that read began.
          for (;;) {
            if (stream.aborted || stream.closed) return;
            const round = discarded;
            const page = await options.store.eventsAfter(last, { limit: REPLAY_PAGE, types });
            if (page.prunedThrough > last) {
              await stream.writeSSE({
                event: EVENTS_LOST_EVENT,
                data: JSON.stringify(lostMessage(last, page.prunedThrough)),
              });
              last = page.prunedThrough;
            }
            for (const o of await options.feed.encode(page.events)) {
              if (stream.aborted || stream.closed) return;
              last = Math.max(last, o.seq);
              await stream.writeSSE({ id: String(o.seq), event: o.type, data: o.data });
            }
            if (page.events.length < REPLAY_PAGE && discarded === round) break;
          }
          // Caught up: what the feed handed on meanwhile (what the replay already sent is skipped by seq), then
          // everything as the feed reads it.
          replaying = false;
          const pending = buffer;
          buffer = [];
          for (const item of pending) {
            if ('event' in item && item.event.seq <= last) continue;
            live(item);
          }
          while (!stream.aborted && !stream.closed && dropReason === null) {
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, KEEPALIVE_MS);
              wake = () => {
                clearTimeout(timer);
                resolve();
              };
            });
            wake = null;
            if (!stream.aborted && !stream.closed && dropReason === null)
              await stream.write(': keep-alive\n\n');
          }
          if (dropReason !== null) await dropSlowClient(c.env, stream, dropReason);
        } finally {
          subscription.stop();
        }
      },
      async (err) => {
        // The store failed mid-stream: the response ends, and the client reconnects with its Last-Event-ID.
        log(`events: a stream ended early: ${describeError(err)}`);
      },
    );
  });

  return app;
}
