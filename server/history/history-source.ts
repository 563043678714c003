import type { Writable } from 'node:stream';
import type {
  DetourItem,
  IncidentDetail,
  IncidentItem,
  Page,
  RouteChangeItem,
  TraceItem,
} from '../../protocol/history-api.ts';
import type { ExportFormat } from '../export/formats.ts';

/**
 * What the operators' command line reads history from: the store on this machine (--data) or a coordinator's
 * API (--server). Both take the API's query parameters as text, so a query means the same either way and is
 * validated by the same code.
 */
export interface HistorySource {
  detours(query: Record<string, string>): Promise<Page<DetourItem>>;
  /** Every matching detour, written to `out` as it is read (backpressure respected). */
  exportDetours(query: Record<string, string>, format: ExportFormat, out: Writable): Promise<void>;
  incidents(query: Record<string, string>): Promise<Page<IncidentItem>>;
  incident(id: number): Promise<IncidentDetail | null>;
  incidentTraces(id: number, query: Record<string, string>): Promise<Page<TraceItem>>;
  /** GET /api/v1/route-changes's page (issue 14). */
  routeChanges(query: Record<string, string>): Promise<Page<RouteChangeItem>>;
  close(): Promise<void>;
}
