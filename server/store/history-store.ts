import type {
  BaselineItem,
  DeliveryItem,
  DetourItem,
  IncidentDetail,
  IncidentItem,
  Page,
  StatsReport,
  TraceDetail,
  TraceItem,
} from '../../protocol/history-api.ts';
import type {
  DetourFilter,
  IncidentFilter,
  PageRequest,
  TimeRange,
  TraceFilter,
} from '../history/filters.ts';

export interface BaselineFilter {
  agent: string | null;
  target: string | null;
}

/** How much history the store holds (benchmarks and banners; not for hot paths). */
export interface HistoryCounts {
  traces: number;
  detours: number;
  incidents: number;
}

/**
 * The operators' queries behind the history API and the `detours` / `incidents` commands. Every list is
 * ordered by id, newest first, and answers one page: at most `page.limit` items after `page.after`, with the
 * cursor of the next page (server/history/cursor.ts). Each call is one short read.
 */
export interface HistoryStore {
  tracePage(filter: TraceFilter, page: PageRequest): Promise<Page<TraceItem>>;
  traceDetail(id: number): Promise<TraceDetail | null>;
  detourPage(filter: DetourFilter, page: PageRequest): Promise<Page<DetourItem>>;
  /**
   * Every matching detour stored when the iteration began, in id order, read in chunks of a few hundred rows
   * (each chunk its own short read, continuing after the last id): a slow or stalled download holds no read
   * transaction and no connection between chunks. Stopping the iteration early is fine.
   */
  detourExport(filter: DetourFilter): AsyncIterable<DetourItem>;
  incidentPage(filter: IncidentFilter, page: PageRequest): Promise<Page<IncidentItem>>;
  /** The incident with the baselines of its vantage point to addresses in its prefix. */
  incidentDetail(id: number): Promise<IncidentDetail | null>;
  incidentTracePage(incidentId: number, page: PageRequest): Promise<Page<TraceItem>>;
  baselinePage(filter: BaselineFilter, page: PageRequest): Promise<Page<BaselineItem>>;
  /** Traces per UTC day of the window (server/history/stats-window.ts), days without traces left out. */
  dailyStats(range: TimeRange, agent: string | null, now: number): Promise<StatsReport>;
  deliveryPage(page: PageRequest): Promise<Page<DeliveryItem>>;
  historyCounts(): Promise<HistoryCounts>;
}
