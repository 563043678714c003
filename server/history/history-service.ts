import { describeError } from '../../protocol/errors.ts';
import type { Position } from '../../protocol/messages.ts';
import { type AlertQueue, createAlertQueue } from '../alerts/alert-queue.ts';
import { silencedBy, silencingWindow } from '../alerts/maintenance-windows.ts';
import {
  type RouteChangeAlerts,
  type RouteChangeAlertsStore,
  startRouteChangeAlerts,
} from '../alerts/route-change-alerts.ts';
import type { WebhookTarget } from '../alerts/webhook-config.ts';
import type { BaselineWindow } from '../incidents/baseline.ts';
import { createIncidentFold } from '../incidents/fold.ts';
import { type IncidentTracker, startIncidentTracker } from '../incidents/tracker.ts';
import type { IncidentEvent } from '../incidents/types.ts';
import { DEFAULT_CORROBORATION_RULES } from '../incidents/witnesses.ts';
import { DEFAULT_KM_PER_MS } from '../physics/rtt-bound.ts';
import { type Retention, startRetention } from '../retention/retention.ts';
import type { DeliveryStore } from '../store/delivery-store.ts';
import type { IncidentFold, IncidentStore } from '../store/incident-store.ts';
import type { MaintenanceStore } from '../store/maintenance-store.ts';
import type { RetentionStore } from '../store/retention-store.ts';
import { startVantageChecks, type VantageChecks, type VantageChecksStore } from '../trust/vantage-checks.ts';

/** The groups of the store history uses (the API's reads of it are server/http/routes-history.ts's). */
export type HistoryServiceStore = IncidentStore &
  DeliveryStore &
  RetentionStore &
  VantageChecksStore &
  Pick<MaintenanceStore, 'listMaintenanceWindows'> &
  RouteChangeAlertsStore;

export interface HistoryOptions {
  store: HistoryServiceStore;
  /** An incident closes after this long without a detour of its key. */
  quietMs: number;
  webhooks: readonly WebhookTarget[];
  /** Delete raw hops and outputs older than this many days; null keeps everything. */
  retainHopsDays: number | null;
  /** How often open incidents are checked for having gone quiet. */
  sweepMs?: number;
  now?: () => number;
  log?: (line: string) => void;
  /** The pure incident fold; the product's own unless a test injects another (server/incidents/fold.ts). */
  fold?: IncidentFold;
  /** Independent verified witnesses an incident needs before it is published (default 2; 1: at once). */
  corroboration?: number;
  /** Of one owner's agents in one ASN and city, at most this many count as witnesses (default 2). */
  maxWitnessesPerOwner?: number;
  /** The speed-of-light bound the vantage checks use (`--km-per-ms`, default 100). */
  kmPerMs?: number;
  /** The catalogue's landmarks as they are now: a trace to one bounds its agent like a verified peer. */
  landmarks?: () => ReadonlyMap<string, Position>;
  /** How often the vantage checks look for new readings (default 2 s). */
  vantageCheckMs?: number;
  /**
   * A result arriving this long after it ended is stored as late (`--late-after`, server/ingest/late.ts); the
   * coordinator hands it to ingest, history only carries it with the other alert settings.
   */
  lateAfterMs?: number;
  /** What a pair's usual path is counted over (`serve --baseline-window`, `--baseline-max-age`). */
  baselineWindow?: BaselineWindow;
}

export interface HistoryService {
  readonly tracker: IncidentTracker;
  /** Where agents are believed to be (server/trust). */
  readonly vantage: VantageChecks;
  /** Resolves once every alert raised so far was delivered or gave up (a command waits before it stops). */
  idle(): Promise<void>;
  /** Stops timers and alert delivery, unbinds the fold from the store. The store stays open. */
  close(): Promise<void>;
}

/**
 * The operators' history running beside the coordinator: every stored trace is folded into incidents and
 * baselines inside the transaction that stores it (a failing fold fails the write, so they never disagree),
 * alerts go out after the commit through a bounded queue (never blocking ingest), quiet incidents are closed
 * periodically, and retention purges old raw hops in small batches. Resolves once traces stored while no
 * coordinator was folding them are caught up; start writers (ingest, imports) only after that.
 */
export async function startHistory(options: HistoryOptions): Promise<HistoryService> {
  const { store } = options;
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => {});
  const alerts: AlertQueue | null =
    options.webhooks.length === 0
      ? null
      : createAlertQueue({
          webhooks: options.webhooks,
          deliveries: store,
          now,
          log,
          maxWitnessesPerOwner:
            options.maxWitnessesPerOwner ?? DEFAULT_CORROBORATION_RULES.maxWitnessesPerOwner,
          // Maintenance windows are read at each event: a window added from the CLI counts at once.
          silenced: async (event) => {
            const w = silencingWindow(await store.listMaintenanceWindows(event.incident.firstSeen), event);
            return w === null ? null : silencedBy(w);
          },
        });
  const raise = (events: readonly IncidentEvent[]) => {
    try {
      for (const e of events)
        log(`incident #${e.incident.id} ${e.kind.replace('incident.', '')}: ${e.incident.key}`);
      alerts?.enqueue(events);
    } catch (err) {
      log(`incidents: cannot raise ${events.length} event(s): ${describeError(err)}`);
    }
  };
  const fold =
    options.fold ??
    createIncidentFold(
      {
        corroboration: options.corroboration ?? DEFAULT_CORROBORATION_RULES.corroboration,
        maxWitnessesPerOwner:
          options.maxWitnessesPerOwner ?? DEFAULT_CORROBORATION_RULES.maxWitnessesPerOwner,
      },
      options.landmarks,
      options.baselineWindow,
    );

  // Before the tracker: route changes its catch-up records are announced too.
  let routeAlerts: RouteChangeAlerts | null = null;
  try {
    routeAlerts = await startRouteChangeAlerts({ store, webhooks: options.webhooks, now, log });
  } catch (err) {
    await alerts?.close();
    throw err;
  }

  let tracker: IncidentTracker;
  try {
    tracker = await startIncidentTracker({
      store,
      quietMs: options.quietMs,
      now,
      raise,
      fold,
    });
  } catch (err) {
    await routeAlerts?.close();
    await alerts?.close();
    throw err;
  }

  let sweeping: Promise<unknown> | null = null;
  const sweep = setInterval(() => {
    if (sweeping) return;
    sweeping = tracker
      .sweep()
      .catch((err) => log(`incidents: cannot close quiet incidents: ${describeError(err)}`))
      .finally(() => {
        sweeping = null;
      });
  }, options.sweepMs ?? 60_000);
  sweep.unref();

  const retention: Retention | null =
    options.retainHopsDays === null
      ? null
      : startRetention({ store, retainDays: options.retainHopsDays, now, log });

  const vantage = startVantageChecks({
    store,
    kmPerMs: options.kmPerMs ?? DEFAULT_KM_PER_MS,
    everyMs: options.vantageCheckMs ?? 2_000,
    now,
    log,
  });

  return {
    tracker,
    vantage,
    idle: async () => {
      await routeAlerts?.poll();
      await Promise.all([alerts?.idle(), routeAlerts?.idle()]);
    },
    async close() {
      await vantage.close();
      clearInterval(sweep);
      tracker.stop();
      await sweeping;
      await retention?.stop();
      await routeAlerts?.close();
      await alerts?.close();
    },
  };
}
