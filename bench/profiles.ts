/**
 * How much each benchmark does. `full` is the measurement (1,000,000 traces behind the API);
 * `quick` is a smoke check that must finish in under two minutes on the 2-core reference machine. The
 * PostgreSQL sections (pg-ingest, pg-query) use the `product` and `query` figures, so that their ratios to
 * SQLite compare the same work.
 */
import { DEFAULT_SEND_WINDOW } from '../agent/delivery.ts';

export const SECTIONS = [
  'ceiling',
  'product',
  'stages',
  'analyze',
  'query',
  'map',
  'pg-ingest',
  'pg-query',
  'burst',
  'growth',
  'query-load',
  'sustained',
] as const;
export type Section = (typeof SECTIONS)[number];

/** Names `--only` also takes, for several sections at once. */
export const SECTION_GROUPS: Readonly<Record<string, readonly Section[]>> = { pg: ['pg-ingest', 'pg-query'] };

/** Run only when named in `--only` (the 10-minute sustained ingest). */
export const OPT_IN_SECTIONS: readonly Section[] = ['sustained'];

export interface Profile {
  name: 'full' | 'quick';
  /** Address variants per recorded trace (see vary-addresses.ts). */
  variants: number;
  ceiling: { count: number; runs: number };
  /** `window`: results an agent keeps unacknowledged, as the real agent's outbox does. */
  product: { agents: number; window: number; warmupMs: number; measureMs: number; runs: number };
  stages: { count: number; runs: number };
  analyze: { traces: number; runs: number };
  /** `budgetMs`: a slow query's run stops after this long (with at least 5 timed requests). */
  query: { traces: number; requests: number; runs: number; budgetMs: number };
  map: { paths: number[]; runs: number };
  /**
   * Backpressure (issue 17): results finishing at `ratePerSecond` in all (10 x the 5,000/s the product is
   * asked to sustain) for `burstMs` across `agents` outboxes of `window` unacknowledged each; then up to
   * `drainMs` for the outboxes to empty.
   */
  burst: { agents: number; window: number; ratePerSecond: number; burstMs: number; drainMs: number };
  /**
   * Issue 17: the product's ingest (as `product`, serve's default analysis workers) onto stores already
   * holding each of `sizes` traces (0: a new one).
   */
  growth: { sizes: number[] };
  /**
   * Issue 17: the history queries on the `query` store, idle and while `ratePerSecond` results arrive
   * through the agents' protocol; per query `requests` timed requests (a query stops after `budgetMs`),
   * passes repeated under load until `minWindowMs`.
   */
  queryLoad: { ratePerSecond: number; requests: number; budgetMs: number; minWindowMs: number };
  /** Issue 17: the product's ingest for `measureMs` after `warmupMs`, RSS every `rssEveryMs`. */
  sustained: { warmupMs: number; measureMs: number; rssEveryMs: number };
}

export const PROFILES: Record<Profile['name'], Profile> = {
  full: {
    name: 'full',
    variants: 250,
    ceiling: { count: 50_000, runs: 5 },
    product: { agents: 8, window: DEFAULT_SEND_WINDOW, warmupMs: 3_000, measureMs: 10_000, runs: 3 },
    stages: { count: 20_000, runs: 3 },
    analyze: { traces: 200_000, runs: 3 },
    query: { traces: 1_000_000, requests: 200, runs: 3, budgetMs: 5_000 },
    map: { paths: [2_000, 10_000], runs: 5 },
    burst: { agents: 64, window: 64, ratePerSecond: 50_000, burstMs: 30_000, drainMs: 30_000 },
    growth: { sizes: [0, 1_000_000, 10_000_000] },
    queryLoad: { ratePerSecond: 1_000, requests: 100, budgetMs: 5_000, minWindowMs: 60_000 },
    sustained: { warmupMs: 60_000, measureMs: 600_000, rssEveryMs: 5_000 },
  },
  quick: {
    name: 'quick',
    variants: 250,
    ceiling: { count: 15_000, runs: 3 },
    product: { agents: 8, window: DEFAULT_SEND_WINDOW, warmupMs: 1_500, measureMs: 3_000, runs: 3 },
    stages: { count: 5_000, runs: 1 },
    analyze: { traces: 20_000, runs: 3 },
    query: { traces: 50_000, requests: 40, runs: 3, budgetMs: 1_000 },
    map: { paths: [2_000, 10_000], runs: 3 },
    burst: { agents: 64, window: 64, ratePerSecond: 50_000, burstMs: 5_000, drainMs: 10_000 },
    // 10,000,000 takes most of an hour to generate (and ~35 GB): --quick stops at 1,000,000.
    growth: { sizes: [0, 50_000, 1_000_000] },
    queryLoad: { ratePerSecond: 1_000, requests: 20, budgetMs: 1_000, minWindowMs: 15_000 },
    sustained: { warmupMs: 10_000, measureMs: 60_000, rssEveryMs: 2_000 },
  },
};
