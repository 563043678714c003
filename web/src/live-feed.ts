import {
  DROPPED_EVENT,
  EVENTS_API,
  EVENTS_LOST_EVENT,
  HELLO_EVENT,
  TRACE_STORED,
} from '../../protocol/events-api.ts';
import type { DetourSummary } from '../../protocol/map-api.ts';
import { detourProblem } from './api-guards.ts';

export type FeedStatus = 'connecting' | 'live' | 'reconnecting';

/** How long to wait before opening a stream the browser gave up on (an error answer, not a dropped line). */
const REOPEN_MS = 3000;

/**
 * New detours as the coordinator stores them, from the replayable event stream (GET /api/v1/events, only
 * `trace.stored`). The page remembers the last event's seq: EventSource sends it as Last-Event-ID when it
 * reconnects by itself, and a stream the browser gave up on is opened again with `?after=` that seq, so
 * what was stored while the page was cut off arrives after the reconnect, in order, once.
 */
export function followDetours(
  onDetour: (d: DetourSummary) => void,
  onStatus: (s: FeedStatus) => void,
): () => void {
  let lastSeq: number | null = null;
  let source: EventSource | null = null;
  let reopen: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;

  /** Every message with an id (the stream's hello, each event) moves where a reopened stream resumes. */
  const remember = (message: MessageEvent<string>): void => {
    const seq = Number(message.lastEventId);
    if (message.lastEventId !== '' && Number.isSafeInteger(seq) && seq >= 0) lastSeq = seq;
  };

  const onStored = (e: Event): void => {
    const message = e as MessageEvent<string>;
    remember(message);
    let event: unknown;
    try {
      event = JSON.parse(message.data);
    } catch {
      console.warn('detourwatch: ignored a live event that is not JSON');
      return;
    }
    const detour = (event as { data?: { detour?: unknown } } | null)?.data?.detour;
    // Not a detour, or one the map leaves out (a contradicted vantage).
    if (detour === undefined || detour === null) return;
    const problem = detourProblem(detour);
    if (problem) {
      console.warn(`detourwatch: ignored a live detour with a bad field: ${problem}`);
      return;
    }
    onDetour(detour as DetourSummary);
  };

  function open(): void {
    const params = new URLSearchParams({ types: TRACE_STORED });
    if (lastSeq !== null) params.set('after', String(lastSeq));
    const next = new EventSource(`${EVENTS_API.stream}?${params}`);
    source = next;
    next.addEventListener('open', () => onStatus('live'));
    next.addEventListener('error', () => {
      onStatus('reconnecting');
      // CONNECTING: the browser reconnects by itself (with Last-Event-ID). CLOSED: it gave up; start over.
      if (next.readyState === EventSource.CLOSED && !stopped && reopen === null) {
        reopen = setTimeout(() => {
          reopen = null;
          if (!stopped) open();
        }, REOPEN_MS);
      }
    });
    next.addEventListener(HELLO_EVENT, (e) => remember(e as MessageEvent<string>));
    next.addEventListener(TRACE_STORED, onStored);
    next.addEventListener(EVENTS_LOST_EVENT, (e) => {
      console.warn(`detourwatch: some live events were lost: ${(e as MessageEvent<string>).data}`);
    });
    next.addEventListener(DROPPED_EVENT, () => onStatus('reconnecting'));
  }

  onStatus('connecting');
  open();
  return () => {
    stopped = true;
    if (reopen !== null) clearTimeout(reopen);
    source?.close();
  };
}
