import { ROUTE_CHANGED_EVENT, type RouteChangeItem } from '../../protocol/history-api.ts';

/** The JSON body of a `route.changed` webhook call (issue 14 item 4; opt-in, see webhook-config.ts). */
export interface RouteChangePayload {
  event: typeof ROUTE_CHANGED_EVENT;
  /** The delivery's id: the same on every retry, so a receiver can drop repeats. */
  deliveryId: number;
  /** Unix seconds when this attempt was sent; equal to the X-Detourwatch-Timestamp header. */
  timestamp: number;
  summary: string;
  /** The change as GET /api/v1/route-changes shows it: the pair, before (with its share), after, the trace. */
  routeChange: RouteChangeItem;
}

const path = (p: RouteChangeItem['before']) =>
  p.asns.length === 0 ? '(no AS path)' : p.asns.map((a) => `AS${a}`).join(' ');
const share = (p: RouteChangeItem['before']) => `${Math.round(p.share * 100)}% of ${p.of}`;

/** One line for chat channels: the pair, the path before with its share, the path after, whether it left home. */
export function routeChangeSummary(c: RouteChangeItem): string {
  const what = c.kind === 'new-usual' ? 'usual path changed' : 'new path';
  const home = c.leftHome ? ' [left home]' : '';
  return `detourwatch: route change (${what})${home} #${c.id}: ${c.subject} -> ${c.target}: ${path(c.before)} (${share(c.before)}) -> ${path(c.after)} (trace #${c.traceId})`;
}

export function routeChangeBody(c: RouteChangeItem, deliveryId: number, timestamp: number): string {
  const payload: RouteChangePayload = {
    event: ROUTE_CHANGED_EVENT,
    deliveryId,
    timestamp,
    summary: routeChangeSummary(c),
    routeChange: c,
  };
  return JSON.stringify(payload);
}
