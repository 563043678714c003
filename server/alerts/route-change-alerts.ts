/**
 * Opt-in `route.changed` webhooks (issue 14 item 4): every route change the incident fold records (a pair's
 * AS path changed, server/incidents/baseline.ts) is announced to the webhooks whose `events` list it. The
 * changes are read from the store after they are committed, by id: every coordinator sharing the store reads
 * them, and the delivery record (one per change and webhook, a unique index) makes the first one that creates
 * it the one that sends it. Deliveries are signed, retried and recorded like the incidents' (alert-queue.ts);
 * a maintenance window of the pair's agent, or over its target, silences one (recorded as dropped, with why).
 * Changes recorded before this coordinator started are not announced; nor is a pending one whose coordinator
 * died (the incidents' rescue, server/cluster/delivery-claims.ts, takes incident deliveries only).
 */
import { describeError } from '../../protocol/errors.ts';
import { ROUTE_CHANGED_EVENT, type RouteChangeItem } from '../../protocol/history-api.ts';
import { type Cidr, parseCidr } from '../net/client-address.ts';
import type { DeliveryStore, DeliveryUpdate, RouteChangeDeliveryStore } from '../store/delivery-store.ts';
import type { MaintenanceStore, MaintenanceWindow } from '../store/maintenance-store.ts';
import type { RouteChangeStore } from '../store/route-change-store.ts';
import { DEFAULT_RETRY, type RetryPolicy, retryableStatus, retryDelayMs } from './backoff.ts';
import { networksOverlap, silencedBy } from './maintenance-windows.ts';
import { routeChangeBody } from './route-change-payload.ts';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signBody, TIMESTAMP_HEADER } from './signature.ts';
import type { WebhookTarget } from './webhook-config.ts';

export type RouteChangeAlertsStore = Pick<RouteChangeStore, 'routeChangesAfter' | 'lastRouteChangeId'> &
  RouteChangeDeliveryStore &
  Pick<DeliveryStore, 'updateDelivery'> &
  Pick<MaintenanceStore, 'listMaintenanceWindows'>;

export interface RouteChangeAlertsOptions {
  store: RouteChangeAlertsStore;
  /** Every webhook; only those listing `route.changed` are sent to. */
  webhooks: readonly WebhookTarget[];
  /** How often new route changes are looked for (default 1 s). */
  pollMs?: number;
  retry?: RetryPolicy;
  timeoutMs?: number;
  now?: () => number;
  log?: (line: string) => void;
}

export interface RouteChangeAlerts {
  /** One look for new route changes (the timer runs it; tests may call it). */
  poll(): Promise<void>;
  /** Resolves once nothing is being looked for, sent or recorded. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** Route changes read per look. */
const BATCH = 200;

const at = (c: RouteChangeItem) => Date.parse(c.at);

/** The first window (lowest id) that silences this change: one of its agent, or over its target, at its time. */
export function silencingRouteWindow(
  windows: readonly MaintenanceWindow[],
  c: RouteChangeItem,
): MaintenanceWindow | null {
  let target: Cidr | null = null;
  try {
    target = parseCidr(c.target);
  } catch {
    target = null;
  }
  const when = at(c);
  const found = windows.filter((w) => {
    if (!(when >= w.startsAt && when < w.endsAt)) return false;
    if (w.agentId !== null) return w.agentId === c.agentId;
    if (w.target === null || target === null) return false;
    try {
      return networksOverlap(parseCidr(w.target), target);
    } catch {
      return false;
    }
  });
  return found.sort((a, b) => a.id - b.id)[0] ?? null;
}

/**
 * Starts announcing route changes recorded from now on; null when no webhook lists `route.changed`. Resolves
 * once it knows where "now" is, so the caller starts it before anything folds traces.
 */
export async function startRouteChangeAlerts(
  options: RouteChangeAlertsOptions,
): Promise<RouteChangeAlerts | null> {
  const targets = options.webhooks.filter((w) => w.events.includes(ROUTE_CHANGED_EVENT));
  if (targets.length === 0) return null;
  const { store } = options;
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => {});
  const retry = options.retry ?? DEFAULT_RETRY;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const stopping = new AbortController();
  let after = await store.lastRouteChangeId();
  let looking: Promise<void> | null = null;
  /** Per webhook, the chain of its deliveries: in order, a slow receiver delays only its own. */
  const lanes = new Map<string, Promise<void>>(targets.map((t) => [t.label, Promise.resolve()]));

  async function record(id: number, update: Omit<DeliveryUpdate, 'at'>): Promise<void> {
    await store
      .updateDelivery(id, { ...update, at: now() })
      .catch((err: unknown) => log(`alerts: cannot record delivery ${id}: ${describeError(err)}`));
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      stopping.signal.addEventListener('abort', done, { once: true });
      function done() {
        clearTimeout(timer);
        stopping.signal.removeEventListener('abort', done);
        resolve();
      }
    });
  }

  async function attempt(target: WebhookTarget, c: RouteChangeItem, id: number): Promise<number> {
    const timestamp = Math.floor(now() / 1000);
    const body = routeChangeBody(c, id, timestamp);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'detourwatch-webhook',
      [EVENT_HEADER]: ROUTE_CHANGED_EVENT,
      [DELIVERY_HEADER]: String(id),
      [TIMESTAMP_HEADER]: String(timestamp),
    };
    if (target.secret !== null) headers[SIGNATURE_HEADER] = signBody(target.secret, body);
    const signal = AbortSignal.any([stopping.signal, AbortSignal.timeout(timeoutMs)]);
    const res = await fetch(target.url, { method: 'POST', headers, body, signal, redirect: 'manual' });
    await res.body?.cancel().catch(() => {});
    return res.status;
  }

  async function deliver(target: WebhookTarget, c: RouteChangeItem, id: number): Promise<void> {
    for (let n = 1; ; n++) {
      let status: number | null = null;
      let error: string;
      try {
        status = await attempt(target, c, id);
        if (status >= 200 && status < 300) {
          await record(id, { status: 'delivered', attempts: n, httpStatus: status, lastError: null });
          return;
        }
        error = `HTTP ${status}`;
      } catch (err) {
        error = stopping.signal.aborted ? 'the coordinator stopped' : describeError(err);
      }
      const wait =
        stopping.signal.aborted || (status !== null && !retryableStatus(status))
          ? null
          : retryDelayMs(n, retry);
      if (wait === null) {
        await record(id, { status: 'failed', attempts: n, httpStatus: status, lastError: error });
        log(`alerts: route.changed #${c.id} to ${target.label} failed after ${n} attempt(s): ${error}`);
        return;
      }
      await record(id, { status: 'pending', attempts: n, httpStatus: status, lastError: error });
      await sleep(wait);
    }
  }

  /** Creates the delivery (null: another coordinator did) and sends it, or records why it is not sent. */
  async function announce(target: WebhookTarget, c: RouteChangeItem, silenced: string | null): Promise<void> {
    const id = await store.createRouteChangeDelivery(c.id, target.label, now());
    if (id === null) return;
    if (silenced !== null || stopping.signal.aborted) {
      const why = silenced ?? 'the coordinator stopped';
      await record(id, { status: 'dropped', attempts: 0, httpStatus: null, lastError: why });
      return;
    }
    await deliver(target, c, id);
  }

  async function look(): Promise<void> {
    for (;;) {
      const changes = await store.routeChangesAfter(after, BATCH);
      if (changes.length === 0 || stopping.signal.aborted) return;
      const windows = await store
        .listMaintenanceWindows(Math.min(...changes.map(at)))
        .catch((err: unknown) => {
          log(`alerts: cannot read the maintenance windows, sending: ${describeError(err)}`);
          return [];
        });
      for (const c of changes) {
        const w = silencingRouteWindow(windows, c);
        const silenced = w === null ? null : silencedBy(w);
        for (const target of targets) {
          const lane = (lanes.get(target.label) ?? Promise.resolve())
            .then(() => announce(target, c, silenced))
            .catch((err: unknown) =>
              log(`alerts: route.changed #${c.id} to ${target.label}: ${describeError(err)}`),
            );
          lanes.set(target.label, lane);
        }
        after = Math.max(after, c.id);
      }
    }
  }

  const poll = (): Promise<void> => {
    looking ??= look()
      .catch((err: unknown) => log(`alerts: cannot read route changes: ${describeError(err)}`))
      .finally(() => {
        looking = null;
      });
    return looking;
  };
  const timer = setInterval(() => void poll(), options.pollMs ?? 1000);
  timer.unref();

  const idle = async () => {
    await looking;
    await Promise.all(lanes.values());
  };
  return {
    poll,
    idle,
    async close() {
      clearInterval(timer);
      stopping.abort();
      await idle();
    },
  };
}
