import type { PeerRouter } from '../cluster/peer-router.ts';
import type { EvidenceContext } from '../evidence/make-bundle.ts';
import type { ExportSlots } from '../history/export-slots.ts';
import type { Hub } from '../hub/hub.ts';
import type { Ingest } from '../ingest/ingest.ts';
import type { Scheduler } from '../schedule/scheduler.ts';
import type { Store } from '../store/store.ts';
import type { Auth } from './auth.ts';
import type { RateLimits } from './rate-limit.ts';
import type { AnalyzeRouteDeps } from './routes-analyze.ts';
import type { EventsRouteOptions } from './routes-events.ts';
import type { HistoryRouteDeps } from './routes-history.ts';
import type { CorrectionRouteDeps } from './routes-location-corrections.ts';
import type { LocationRouteDeps } from './routes-locations.ts';
import type { MapWebOptions } from './routes-map.ts';

/** What the HTTP routes read and drive; server/coordinator.ts provides it. */
export interface ApiDeps extends HistoryRouteDeps, AnalyzeRouteDeps, LocationRouteDeps {
  store: Store;
  /** Operators' location corrections and re-judging (routes-location-corrections.ts); absent: writes answer 503. */
  corrections?: CorrectionRouteDeps | undefined;
  /** Who may steer and who may read (auth.ts). */
  auth: Auth;
  /** The API's rate limits (rate-limit.ts DEFAULT_RATE_LIMITS). */
  rateLimits: RateLimits;
  hub: Pick<Hub, 'connected' | 'isConnected' | 'metrics'>;
  scheduler: Pick<Scheduler, 'request' | 'stats'>;
  /** Measurements for agents connected to another coordinator of the same database (issue 12). */
  peers?: Pick<PeerRouter, 'request'>;
  ingest: Pick<Ingest, 'stats' | 'pending'>;
  /** Running exports at once. */
  exports: ExportSlots;
  /** The clock (epoch ms): relative times in queries and the uptime are measured on it. */
  now(): number;
  /** When the coordinator started, on that clock. */
  startedAt: number;
  /** The analysts' map: the page at `/` and its API under /api/v1/map. */
  map: MapWebOptions;
  /** The replayable event stream, GET /api/v1/events (issue 12). */
  events: EventsRouteOptions;
  /** Who signs evidence bundles, and the analysis they cite; absent: the bundle routes answer 503. */
  evidence?: EvidenceContext | undefined;
}
