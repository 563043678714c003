import type { Page, RouteChangeItem } from '../../protocol/history-api.ts';
import type { PageRequest } from '../history/filters.ts';

/** Which route changes a page holds; times are epoch ms. */
export interface RouteChangeFilter {
  agent: string | null;
  target: string | null;
  /** Changes at or after this instant. */
  since: number | null;
}

/**
 * The record of route changes (issue 14): each time a pair's AS path changed, written by the incident fold
 * with the baselines (server/incidents/baseline.ts), read as pages, newest first, like the other histories.
 */
export interface RouteChangeStore {
  routeChangePage(filter: RouteChangeFilter, page: PageRequest): Promise<Page<RouteChangeItem>>;
  /** Route changes recorded after id `afterId`, oldest first, at most `limit` (`route.changed` webhooks). */
  routeChangesAfter(afterId: number, limit: number): Promise<RouteChangeItem[]>;
  /** The newest route change's id; 0 when none is recorded. */
  lastRouteChangeId(): Promise<number>;
}
