import { describeError } from '../../protocol/errors.ts';
import type { DetourQuery, DetourSummary } from '../../protocol/map-api.ts';
import { summarise } from '../../protocol/map-path.ts';
import type { DetourFilter } from '../history/filters.ts';
import type { MapStore } from '../store/map-store.ts';
import { detourDetail } from './map-detour.ts';
import type { MapDataSource } from './routes-map.ts';

/** How often the live feed looks for new detours while someone is watching. */
const DEFAULT_POLL_MS = 1000;
/** Most detours one poll hands on (a backlog after a pause arrives over a few polls). */
const POLL_BATCH = 500;

const ms = (instant: string | undefined): number | null =>
  instant === undefined ? null : Date.parse(instant);

/** The map's query as the history filters say it (same semantics: `until` exclusive). */
function filterOf(q: DetourQuery): DetourFilter {
  return {
    since: ms(q.since),
    until: ms(q.until),
    country: q.country ?? null,
    asn: q.asn ?? null,
    agent: q.agent ?? null,
    target: null,
    confidence: q.confidence ?? null,
  };
}

export interface StoreMapSource extends MapDataSource {
  /** Stops the live feed's polling. */
  close(): void;
}

/**
 * The map's data from the coordinator's store. New detours are found by polling the trace ids while anyone
 * is subscribed: that sees every detour in the store, also those written by another coordinator sharing it,
 * and needs no hook into ingest.
 */
export function storeMapSource(
  store: MapStore,
  options: { pollMs?: number; log?: (line: string) => void } = {},
): StoreMapSource {
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  const log = options.log ?? (() => {});
  const listeners = new Set<(d: DetourSummary) => void>();
  let timer: NodeJS.Timeout | null = null;
  /** Where the feed continues; null until the store said where it starts. */
  let lastId: number | null = null;
  let polling = false;

  /** Notes where a subscription's feed starts: the newest trace id when it began. */
  async function begin(subscription: NodeJS.Timeout | null): Promise<void> {
    const start = await store.lastTraceId();
    if (timer === subscription && lastId === null) lastId = start;
  }

  /** Hands on what was stored since the last poll. */
  async function poll(): Promise<void> {
    if (polling) return;
    polling = true;
    const subscription = timer;
    try {
      if (lastId === null) {
        // The start could not be read when the subscription began: try again.
        await begin(subscription);
        return;
      }
      const detours = await store.detoursAfter(lastId, POLL_BATCH);
      for (const d of detours) {
        if (timer !== subscription) return;
        lastId = Math.max(lastId ?? 0, d.id);
        let summary: DetourSummary;
        try {
          summary = summarise(detourDetail(d));
        } catch (err) {
          log(`map: detour #${d.id} cannot be shown: ${describeError(err)}`);
          continue;
        }
        for (const listener of listeners) listener(summary);
      }
    } catch (err) {
      // A busy or closing database must not take the coordinator down; the next poll tries again.
      log(`map: cannot read new detours: ${describeError(err)}`);
    } finally {
      polling = false;
    }
  }

  function stop(): void {
    if (timer) clearInterval(timer);
    timer = null;
    lastId = null;
  }

  function start(): void {
    timer = setInterval(() => void poll(), pollMs);
    timer.unref();
    begin(timer).catch((err) => log(`map: cannot start the live feed: ${describeError(err)}`));
  }

  return {
    async listDetours(query) {
      const { detours, total } = await store.mapDetours(filterOf(query), query.limit);
      return { items: detours.map((d) => summarise(detourDetail(d))), total };
    },
    async getDetour(id) {
      const detour = await store.mapDetour(id);
      return detour ? detourDetail(detour) : null;
    },
    subscribe(listener) {
      if (listeners.size === 0) start();
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) stop();
      };
    },
    close() {
      listeners.clear();
      stop();
    },
  };
}
