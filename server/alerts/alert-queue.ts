import { describeError } from '../../protocol/errors.ts';
import type { IncidentEvent } from '../incidents/types.ts';
import type { DeliveryStore, DeliveryUpdate } from '../store/delivery-store.ts';
import { matchRules } from './alert-rules.ts';
import { DEFAULT_RETRY, type RetryPolicy, retryableStatus, retryDelayMs } from './backoff.ts';
import { alertBody } from './payload.ts';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signBody, TIMESTAMP_HEADER } from './signature.ts';
import type { WebhookTarget } from './webhook-config.ts';

export interface AlertQueueOptions {
  webhooks: readonly WebhookTarget[];
  /** Where each delivery and its attempts are recorded. */
  deliveries: DeliveryStore;
  retry?: RetryPolicy;
  /** Deliveries waiting per webhook; beyond this new ones are dropped (and recorded as dropped). */
  maxQueued?: number;
  /** One attempt's time limit. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
  random?: () => number;
  log?: (line: string) => void;
  userAgent?: string;
  /**
   * Why an event must not be sent now (a maintenance window: "silenced by maintenance window #3 (...)"), or
   * null; asked once per event and webhook its rules let through. A failure to answer sends the alert.
   */
  silenced?: (event: IncidentEvent) => Promise<string | null>;
  /** serve's --max-witnesses-per-owner, so a rule's witness count is the corroboration's (default 2). */
  maxWitnessesPerOwner?: number;
}

export interface AlertQueueStats {
  queued: number;
  delivered: number;
  failed: number;
  dropped: number;
  /** Not sent: no rule of the webhook matched, or a maintenance window silenced it (recorded as dropped). */
  withheld: number;
}

export interface AlertQueue {
  /** Never blocks and never throws: the caller is the ingest path. */
  enqueue(events: readonly IncidentEvent[]): void;
  /**
   * Sends deliveries already recorded (by a coordinator that stopped before sending them, issue 12) to the
   * webhook of their label, under their own ids; a label no webhook here has is skipped.
   */
  resume(deliveries: readonly { id: number; event: IncidentEvent; label: string }[]): void;
  /** Resolves once nothing waits, is in flight or is still being recorded. */
  idle(): Promise<void>;
  /** Stops: in-flight attempts are aborted, waiting deliveries recorded as dropped. */
  close(): Promise<void>;
  stats(): AlertQueueStats;
}

interface Job {
  /** The delivery's record; null when it could not be created (logged; nothing is sent unrecorded). */
  id: Promise<number | null>;
  event: IncidentEvent;
}

/**
 * Webhook delivery off the ingest path. Each webhook has its own bounded FIFO lane worked by one loop, so a
 * slow or failing receiver delays only its own alerts, and an incident's `opened` always reaches a receiver
 * before its `closed`. Failed attempts are retried with exponential backoff (server errors, 408, 429 and
 * network errors; other refusals are final). Every delivery is recorded, with its attempts and last error.
 */
export function createAlertQueue(options: AlertQueueOptions): AlertQueue {
  const retry = options.retry ?? DEFAULT_RETRY;
  const maxQueued = options.maxQueued ?? 1000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => {});
  const userAgent = options.userAgent ?? 'detourwatch-webhook';
  const stopping = new AbortController();
  const stats: AlertQueueStats = { queued: 0, delivered: 0, failed: 0, dropped: 0, withheld: 0 };
  const lanes = options.webhooks.map((target) => ({
    target,
    jobs: [] as Job[],
    running: null as Promise<void> | null,
  }));

  /** Bookkeeping writes not tied to a lane's loop (deliveries dropped at enqueue): idle() waits for them. */
  const recording = new Set<Promise<void>>();

  async function record(id: number, update: Omit<DeliveryUpdate, 'at'>): Promise<void> {
    try {
      await options.deliveries.updateDelivery(id, { ...update, at: now() });
    } catch (err) {
      log(`alerts: cannot record delivery ${id}: ${describeError(err)}`);
    }
  }

  /**
   * The delivery of `event` to `target` (alert-rules.ts, maintenance windows): created with the rule that let
   * it through, or recorded as dropped with why it was not sent (then null: nothing to send).
   */
  async function decide(event: IncidentEvent, target: WebhookTarget): Promise<number | null> {
    const decision = matchRules(target.rules, event, options.maxWitnessesPerOwner ?? 2);
    let why = decision.send ? null : decision.why;
    if (why === null && options.silenced) {
      why = await options.silenced(event).catch((err: unknown) => {
        log(`alerts: cannot read the maintenance windows, sending: ${describeError(err)}`);
        return null;
      });
    }
    if (why === null) {
      const rule = decision.send ? decision.rule : null;
      return options.deliveries.createDelivery(event.kind, event.incident.id, target.label, now(), rule);
    }
    const id = await options.deliveries.createDelivery(event.kind, event.incident.id, target.label, now());
    await record(id, { status: 'dropped', attempts: 0, httpStatus: null, lastError: why });
    stats.withheld += 1;
    return null;
  }

  function decided(event: IncidentEvent, target: WebhookTarget): Promise<number | null> {
    return decide(event, target).catch((err: unknown) => {
      log(`alerts: cannot record a delivery, not sending it: ${describeError(err)}`);
      return null;
    });
  }

  function track(work: Promise<void>): void {
    recording.add(work);
    void work.finally(() => recording.delete(work));
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

  /** One POST; returns the HTTP status, or throws on network errors and timeouts. */
  async function attempt(target: WebhookTarget, job: Job, id: number): Promise<number> {
    const timestamp = Math.floor(now() / 1000);
    const body = alertBody(job.event, id, timestamp);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': userAgent,
      [EVENT_HEADER]: job.event.kind,
      [DELIVERY_HEADER]: String(id),
      [TIMESTAMP_HEADER]: String(timestamp),
    };
    if (target.secret !== null) headers[SIGNATURE_HEADER] = signBody(target.secret, body);
    const signal = AbortSignal.any([stopping.signal, AbortSignal.timeout(timeoutMs)]);
    const res = await doFetch(target.url, { method: 'POST', headers, body, signal, redirect: 'manual' });
    // The answer's body is not needed; release the connection.
    await res.body?.cancel().catch(() => {});
    return res.status;
  }

  async function deliver(target: WebhookTarget, job: Job, id: number): Promise<void> {
    for (let n = 1; ; n++) {
      let status: number | null = null;
      let error: string;
      try {
        status = await attempt(target, job, id);
        if (status >= 200 && status < 300) {
          await record(id, { status: 'delivered', attempts: n, httpStatus: status, lastError: null });
          stats.delivered += 1;
          return;
        }
        error = `HTTP ${status}`;
      } catch (err) {
        error = stopping.signal.aborted ? 'the coordinator stopped' : describeError(err);
      }
      const wait =
        stopping.signal.aborted || (status !== null && !retryableStatus(status))
          ? null
          : retryDelayMs(n, retry, options.random);
      if (wait === null) {
        await record(id, { status: 'failed', attempts: n, httpStatus: status, lastError: error });
        stats.failed += 1;
        log(
          `alerts: ${job.event.kind} #${job.event.incident.id} to ${target.label} failed after ${n} attempt(s): ${error}`,
        );
        return;
      }
      await record(id, { status: 'pending', attempts: n, httpStatus: status, lastError: error });
      await sleep(wait);
    }
  }

  async function work(lane: (typeof lanes)[number]): Promise<void> {
    for (let job = lane.jobs.shift(); job; job = lane.jobs.shift()) {
      stats.queued -= 1;
      const id = await job.id;
      if (id === null) continue;
      if (stopping.signal.aborted) {
        await record(id, {
          status: 'dropped',
          attempts: 0,
          httpStatus: null,
          lastError: 'the coordinator stopped',
        });
        stats.dropped += 1;
        continue;
      }
      await deliver(lane.target, job, id);
    }
  }

  function start(lane: (typeof lanes)[number]): void {
    if (lane.running) return;
    lane.running = work(lane).finally(() => {
      lane.running = null;
      // A job may have arrived after the loop saw an empty lane and before this ran.
      if (lane.jobs.length > 0) start(lane);
    });
  }

  return {
    enqueue(events) {
      for (const event of events) {
        for (const lane of lanes) {
          if (!lane.target.events.includes(event.kind) || stopping.signal.aborted) continue;
          const id = decided(event, lane.target);
          if (lane.jobs.length >= maxQueued) {
            stats.dropped += 1;
            track(
              id.then((created) =>
                created === null
                  ? undefined
                  : record(created, {
                      status: 'dropped',
                      attempts: 0,
                      httpStatus: null,
                      lastError: `more than ${maxQueued} alerts waiting`,
                    }),
              ),
            );
            continue;
          }
          lane.jobs.push({ id, event });
          stats.queued += 1;
          start(lane);
        }
      }
    },
    resume(deliveries) {
      for (const d of deliveries) {
        const lane = lanes.find((l) => l.target.label === d.label);
        if (!lane || stopping.signal.aborted) continue;
        lane.jobs.push({ id: Promise.resolve(d.id), event: d.event });
        stats.queued += 1;
        start(lane);
      }
    },
    async idle() {
      while (lanes.some((l) => l.running !== null) || recording.size > 0) {
        await Promise.all([...lanes.map((l) => l.running), ...recording]);
      }
    },
    async close() {
      stopping.abort();
      await this.idle();
    },
    stats: () => ({ ...stats }),
  };
}
