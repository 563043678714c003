import Database from 'better-sqlite3';
import { describeError } from '../../protocol/errors.ts';
import { type AlertQueue, createAlertQueue } from '../alerts/alert-queue.ts';
import { sqliteDeliveryLog } from '../alerts/delivery-log.ts';
import type { WebhookTarget } from '../alerts/webhook-config.ts';
import type { HistoryRouteDeps } from '../http/routes-history.ts';
import { observationOf } from '../incidents/observation.ts';
import { storedObservations } from '../incidents/stored-observations.ts';
import { createIncidentTracker, type IncidentTracker } from '../incidents/tracker.ts';
import type { IncidentEvent } from '../incidents/types.ts';
import { type Retention, startRetention } from '../retention/retention.ts';
import type { TraceHook, WrittenTrace } from '../store/store.ts';
import { createHistoryQueries } from './queries.ts';

const MAX_CONCURRENT_EXPORTS = 4;

/** The part of the SQLite store history needs: its connection and the hook into its writes. */
export interface HistoryStore {
  readonly database: Database.Database;
  setTraceHook(hook: TraceHook | null): void;
}

export interface HistoryOptions {
  store: HistoryStore;
  /** An incident closes after this long without a detour of its key. */
  quietMs: number;
  webhooks: readonly WebhookTarget[];
  /** Delete raw hops and outputs older than this many days; null keeps everything. */
  retainHopsDays: number | null;
  /** How often open incidents are checked for having gone quiet. */
  sweepMs?: number;
  now?: () => number;
  log?: (line: string) => void;
}

export interface HistoryService {
  readonly routes: HistoryRouteDeps;
  readonly tracker: IncidentTracker;
  /** Lines for the startup banner. */
  describe(): string[];
  /** Stops timers and alert delivery, unhooks the store. The store stays open. */
  close(): Promise<void>;
}

/**
 * The operators' history running beside the coordinator: every stored trace is folded into incidents and
 * baselines inside the transaction that stores it (so they can never disagree after a crash), alerts go out
 * after the commit through a bounded queue (never blocking ingest), quiet incidents are closed periodically,
 * and retention purges old raw hops in small batches.
 */
export function startHistory(options: HistoryOptions): HistoryService {
  const { store } = options;
  const db = store.database;
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => {});
  const tracker = createIncidentTracker({ db, quietMs: options.quietMs, now });
  const alerts: AlertQueue | null =
    options.webhooks.length === 0
      ? null
      : createAlertQueue({ webhooks: options.webhooks, deliveries: sqliteDeliveryLog(db), now, log });
  const raise = (events: readonly IncidentEvent[]) => {
    for (const e of events)
      log(
        `incident #${e.incident.id} ${e.kind === 'incident.opened' ? 'opened' : 'closed'}: ${e.incident.key}`,
      );
    alerts?.enqueue(events);
  };

  // Traces stored while no coordinator was observing them (a crash between commit and observation cannot
  // happen, the hook is in the transaction, but a database from before incidents existed can).
  raise(tracker.catchUp(storedObservations(db)));
  // Incidents that went quiet while no coordinator was running close now, not a sweep period later.
  raise(tracker.sweep());

  const hook: TraceHook = (written: readonly WrittenTrace[]) => {
    let events: IncidentEvent[];
    try {
      events = tracker.observe(
        written.map((w) =>
          observationOf({
            traceId: w.traceId,
            agentId: w.record.agentId,
            trace: w.record.trace,
            verdict: w.record.verdict,
            startedAt: w.startedAt,
            sourcePosition: w.record.sourcePosition ?? null,
            pathAsns: w.record.pathAsns ?? null,
          }),
        ),
      );
    } catch (err) {
      // The tracker's savepoint rolled back; the traces still commit. The next start catches them up.
      log(`incidents: cannot fold ${written.length} trace(s) into incidents: ${describeError(err)}`);
      return undefined;
    }
    return events.length === 0 ? undefined : () => raise(events);
  };
  store.setTraceHook(hook);

  const sweep = setInterval(() => {
    try {
      raise(tracker.sweep());
    } catch (err) {
      log(`incidents: cannot close quiet incidents: ${describeError(err)}`);
    }
  }, options.sweepMs ?? 60_000);
  sweep.unref();

  const retention: Retention | null =
    options.retainHopsDays === null
      ? null
      : startRetention({ db, retainDays: options.retainHopsDays, now, log });

  let exports = 0;
  const routes: HistoryRouteDeps = {
    queries: createHistoryQueries(db),
    openExportReader() {
      // Each export holds a connection and a read snapshot for as long as its client downloads.
      if (exports >= MAX_CONCURRENT_EXPORTS) return null;
      const reader = new Database(db.name, { readonly: true, fileMustExist: true });
      reader.pragma('busy_timeout = 5000');
      exports++;
      return {
        queries: createHistoryQueries(reader),
        close: () => {
          exports--;
          reader.close();
        },
      };
    },
    now,
  };

  return {
    routes,
    tracker,
    describe: () => [
      `incidents close after ${Math.round(options.quietMs / 60_000)} min without a detour`,
      alerts === null
        ? 'alerts: no webhook configured'
        : `alerts: ${options.webhooks.map((w) => `${w.label}${w.secret === null ? ' (unsigned)' : ''}`).join(', ')}`,
      options.retainHopsDays === null
        ? 'retention: raw hops kept forever'
        : `retention: raw hops and outputs older than ${options.retainHopsDays} days are deleted`,
    ],
    async close() {
      clearInterval(sweep);
      store.setTraceHook(null);
      await retention?.stop();
      await alerts?.close();
    },
  };
}
