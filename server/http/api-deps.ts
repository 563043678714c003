import type { HistoryReads } from '../history/history-service.ts';
import type { Hub } from '../hub/hub.ts';
import type { Ingest } from '../ingest/ingest.ts';
import type { Scheduler } from '../schedule/scheduler.ts';
import type { Store } from '../store/store.ts';
import type { MapWebOptions } from './routes-map.ts';

/** What the HTTP routes read and drive. */
export interface ApiDeps {
  store: Store;
  hub: Pick<Hub, 'connected' | 'isConnected' | 'metrics'>;
  scheduler: Pick<Scheduler, 'request' | 'stats'>;
  ingest: Pick<Ingest, 'stats' | 'pending'>;
  startedAt: Date;
  now: () => Date;
  /** The operators' history API (traces, detours, incidents, exports); the plain trace list without it. */
  history?: HistoryReads;
  /** The analysts' map: the page at `/` and its API under /api/v1/map. */
  map?: MapWebOptions;
}
