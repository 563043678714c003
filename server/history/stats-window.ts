import type { TimeRange } from './filters.ts';

export const DAY_MS = 86_400_000;
/** Stats answer one row per day: a bounded window keeps the answer bounded. */
export const MAX_STATS_DAYS = 3660;
export const DEFAULT_STATS_DAYS = 30;

/** The stats window: up to the end of today (UTC), from DEFAULT_STATS_DAYS before its end, unless given. */
export function statsWindow(range: TimeRange, now: number): { since: number; until: number } {
  const until = range.until ?? Math.floor(now / DAY_MS) * DAY_MS + DAY_MS;
  return { since: range.since ?? until - DEFAULT_STATS_DAYS * DAY_MS, until };
}
