import type { DeliveryStatus, IncidentEventKind } from '../../protocol/history-api.ts';

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
  /** A pending delivery; resolves with its id (the id receivers see, to drop repeats). */
  createDelivery(event: IncidentEventKind, incidentId: number, label: string, at: number): Promise<number>;
  updateDelivery(id: number, update: DeliveryUpdate): Promise<void>;
}
