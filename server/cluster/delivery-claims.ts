import { describeError } from '../../protocol/errors.ts';
import { createAlertQueue } from '../alerts/alert-queue.ts';
import type { WebhookTarget } from '../alerts/webhook-config.ts';
import type { DeliveryClaimStore, DeliveryStore } from '../store/delivery-store.ts';

/** How long a coordinator's claim on a delivery lasts unrenewed; renewed every third of it. */
export const DEFAULT_CLAIM_MS = 30_000;

/** Abandoned deliveries taken over per look. */
const RESCUE_BATCH = 50;

type ClaimingStore = DeliveryStore & DeliveryClaimStore;

/**
 * The delivery record the alert queue writes, with each new delivery claimed at once by this instance: no
 * other coordinator sends it while this one renews the claim.
 */
export function claimingDeliveries(
  store: ClaimingStore,
  instanceId: string,
  claimMs: number,
  now: () => number,
): DeliveryStore {
  return {
    async createDelivery(event, incidentId, label, at, rule) {
      const id = await store.createDelivery(event, incidentId, label, at, rule);
      await store.claimDelivery(id, instanceId, now() + claimMs);
      return id;
    },
    updateDelivery: (id, update) => store.updateDelivery(id, update),
  };
}

export interface DeliveryRescueOptions {
  store: ClaimingStore;
  instanceId: string;
  webhooks: readonly WebhookTarget[];
  claimMs?: number;
  now?: () => number;
  log?: (line: string) => void;
}

export interface DeliveryRescue {
  /** One renewal and one look for abandoned deliveries (the timer runs it; tests call it). */
  tick(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Keeps this instance's delivery claims alive, and sends the pending deliveries of coordinators that died
 * (their claims ran out) through a queue of its own: each such delivery is claimed by one coordinator in one
 * conditional statement (delivery-store.ts), so it is sent once more, by one of them, under its own id.
 */
export function startDeliveryRescue(options: DeliveryRescueOptions): DeliveryRescue {
  const { store, instanceId } = options;
  const claimMs = options.claimMs ?? DEFAULT_CLAIM_MS;
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => {});
  const labels = options.webhooks.map((w) => w.label);
  const queue = createAlertQueue({
    webhooks: options.webhooks,
    deliveries: claimingDeliveries(store, instanceId, claimMs, now),
    now,
    log,
  });
  let running: Promise<void> | null = null;

  async function tick(): Promise<void> {
    const t = now();
    await store.renewDeliveryClaims(instanceId, t + claimMs);
    const abandoned = await store.claimAbandonedDeliveries({
      by: instanceId,
      until: t + claimMs,
      now: t,
      unclaimedBefore: t - claimMs,
      labels,
      limit: RESCUE_BATCH,
    });
    if (abandoned.length === 0) return;
    log(
      `alerts: sending ${abandoned.length} delivery(ies) another coordinator left unsent (${abandoned.map((d) => d.id).join(', ')})`,
    );
    queue.resume(
      abandoned.map((d) => ({
        id: d.id,
        label: d.label,
        event: { kind: d.event, incident: d.incident, at: d.createdAt },
      })),
    );
  }

  const timer = setInterval(
    () => {
      if (running) return;
      running = tick()
        .catch((err: unknown) => log(`alerts: cannot renew or rescue deliveries: ${describeError(err)}`))
        .finally(() => {
          running = null;
        });
    },
    Math.max(50, Math.floor(claimMs / 3)),
  );
  timer.unref();

  return {
    tick,
    async close() {
      clearInterval(timer);
      await running;
      await queue.close();
    },
  };
}
