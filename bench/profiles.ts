/**
 * How much each benchmark does. `full` is the measurement (1,000,000 traces behind the API);
 * `quick` is a smoke check that must finish in under two minutes on the 2-core reference machine.
 */
import { DEFAULT_SEND_WINDOW } from '../agent/delivery.ts';

export const SECTIONS = ['ceiling', 'product', 'stages', 'analyze', 'query', 'map'] as const;
export type Section = (typeof SECTIONS)[number];

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
  },
};
