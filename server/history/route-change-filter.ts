import type { RouteChangeFilter } from '../store/route-change-store.ts';
import { readTimeRange } from './filters.ts';
import { parseAgentId, parseTarget } from './param-parsers.ts';
import { P, type ParamSpec } from './param-specs.ts';

/** GET /api/v1/route-changes's query parameters (validated against, and described in the OpenAPI document). */
export const ROUTE_CHANGE_PARAMS: readonly ParamSpec[] = [P.agent, P.target, P.since, P.limit, P.cursor];

/** The filter of a route-change page; `since` resolved against `now` (the page's instant). */
export function readRouteChangeFilter(q: Record<string, string>, now: number): RouteChangeFilter {
  return {
    agent: q.agent ? parseAgentId('agent', q.agent) : null,
    target: q.target ? parseTarget('target', q.target) : null,
    since: readTimeRange({ ...(q.since === undefined ? {} : { since: q.since }) }, now).since,
  };
}
