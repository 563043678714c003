/**
 * Maintenance windows (issue 14): while an operator works on an agent or a target, the alerts of incidents
 * its traces make are not sent (server/alerts/maintenance-windows.ts decides which); detection and incidents
 * go on. One window covers one agent (by id) or one target (an address or prefix, canonical text). Times are
 * epoch ms; a window covers [startsAt, endsAt).
 */
export interface MaintenanceWindow {
  id: number;
  agentId: string | null;
  target: string | null;
  startsAt: number;
  endsAt: number;
  reason: string;
  createdAt: number;
}

export type NewMaintenanceWindow = Omit<MaintenanceWindow, 'id'>;

export interface MaintenanceStore {
  addMaintenanceWindow(window: NewMaintenanceWindow): Promise<MaintenanceWindow>;
  /** Windows that end after `endingAfter` (null: all), earliest start first. */
  listMaintenanceWindows(endingAfter: number | null): Promise<MaintenanceWindow[]>;
  /** False when there was no such window. */
  removeMaintenanceWindow(id: number): Promise<boolean>;
}
