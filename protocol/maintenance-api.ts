/**
 * Maintenance windows over the API (GET/POST /api/v1/maintenance, DELETE /api/v1/maintenance/{id}; operator
 * key) and in `detourwatch maintenance list`: while one runs, alerts of what it covers are not sent.
 */
export const MAINTENANCE_PATH = '/api/v1/maintenance';
export const MAINTENANCE_ITEM_PATH = '/api/v1/maintenance/:id';

export interface MaintenanceItem {
  id: number;
  /** The agent it covers, or null when it covers a target. */
  agentId: string | null;
  /** The agent's name, when it covers one that is known. */
  agentName: string | null;
  /** The address or prefix it covers (`ADDRESS/LEN`), or null when it covers an agent. */
  target: string | null;
  startsAt: string;
  endsAt: string;
  reason: string;
  createdAt: string;
  /** Whether it runs now. */
  active: boolean;
}

/** The body of POST /api/v1/maintenance: `agent` or `target`; `until` or `for`; `from` defaults to now. */
export interface MaintenanceRequest {
  agent?: string;
  target?: string;
  from?: string;
  until?: string;
  for?: string;
  reason: string;
}
