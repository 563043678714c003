import type { DeliveryStatus, IncidentEventKind } from '../../protocol/history-api.ts';
import type { Incident } from '../incidents/types.ts';

export interface DeliveryUpdate {
  status: DeliveryStatus;
  attempts: number;
  httpStatus: number | null;
  lastError: string | null;
  /** Epoch ms. */
  at: number;
}

/**
 * The record of webhook deliveries: one row per (event, webhook), created before the first attempt and
 * updated after every attempt. Read back through `HistoryStore.deliveryPage`.
 */
export interface DeliveryStore {
  /**
   * A pending delivery; resolves with its id (the id receivers see, to drop repeats). `rule` names the
   * webhook rule that let it through (server/alerts/alert-rules.ts), when the webhook has rules.
   */
  createDelivery(
    event: IncidentEventKind,
    incidentId: number,
    label: string,
    at: number,
    rule?: string | null,
  ): Promise<number>;
  updateDelivery(id: number, update: DeliveryUpdate): Promise<void>;
}

/**
 * Deliveries of opt-in `route.changed` webhooks (issue 14 item 4): one per (route change, webhook label);
 * every coordinator sharing the store sees each change, the first to create its delivery sends it.
 */
export interface RouteChangeDeliveryStore {
  /** A pending delivery of `route.changed`; null when one for this change and webhook exists already. */
  createRouteChangeDelivery(routeChangeId: number, label: string, at: number): Promise<number | null>;
}

/** A pending delivery whose coordinator stopped renewing its claim, now claimed by another (issue 12). */
export interface AbandonedDelivery {
  id: number;
  event: IncidentEventKind;
  /** The incident as it is now. */
  incident: Incident;
  /** The webhook's label (its url column): the coordinator sends it only to a webhook of that label. */
  label: string;
  /** Epoch ms. */
  createdAt: number;
}

/**
 * Each delivery is sent by exactly one coordinator, however many run: the one that created it claims it
 * (claimed_by, claimed_until) and renews its claims while it works; a pending delivery whose claim ran out
 * (its coordinator died) is claimed by one other coordinator in one conditional statement, and sent by it.
 * Times are epoch ms.
 */
export interface DeliveryClaimStore {
  claimDelivery(id: number, by: string, until: number): Promise<void>;
  /** Moves the claims of `by` on pending deliveries to `until`. */
  renewDeliveryClaims(by: string, until: number): Promise<void>;
  /**
   * Claims for `by` (until `until`) at most `limit` pending deliveries to the webhooks `labels` whose claim ran
   * out before `now`, or that were never claimed and were created before `unclaimedBefore`.
   */
  claimAbandonedDeliveries(claim: {
    by: string;
    until: number;
    now: number;
    unclaimedBefore: number;
    labels: readonly string[];
    limit: number;
  }): Promise<AbandonedDelivery[]>;
}
