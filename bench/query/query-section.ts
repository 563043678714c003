/**
 * Query latency of the operators' history API (detours, incidents) on a store of `traces` traces, served by a
 * coordinator wired as `serve` wires it, in a child process; requests one at a time from this process over
 * 127.0.0.1. Each query: a few warm-up requests, then `requests` timed ones, per run; p50/p95 are the
 * medians over the runs. Filters use values that occur in the data (a foreign country and AS of a stored
 * detour, an agent, the last 6 hours of the store's own clock).
 */
import { fileURLToPath } from 'node:url';
import { Child } from '../child.ts';
import type { SectionContext } from '../main.ts';
import type { PgServer } from '../pg-cluster.ts';
import type { SectionOutput } from '../sections.ts';
import { median } from '../stats.ts';
import { type CachedStore, cachedPgStore, cachedStore } from '../store/cached-store.ts';
import type { ServeStoreJob } from '../store/serve-store-child.ts';
import { checked, fmt, info, type Row } from '../table.ts';
import { type Latency, timeRequests } from './latency.ts';

const SERVER = fileURLToPath(new URL('../store/serve-store-child.ts', import.meta.url));
const WARMUP = 5;
export const API_P95_MS = 50;

export interface Query {
  name: string;
  path: string;
  /** The issue's target (detours and incidents) applies; the others are shown for information. */
  target: boolean;
}

async function getJson(url: string): Promise<Record<string, unknown>> {
  const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}

/** The queries, with filter values taken from the store's own newest detour. */
async function queries(base: string, asOf: number): Promise<Query[]> {
  const first = (await getJson(`${base}/api/v1/detours?limit=50`)) as {
    detours: { agentId: string; foreignCountries: string[]; foreignAsns: number[] }[];
    nextCursor: string | null;
  };
  const newest = first.detours[0];
  const list: Query[] = [{ name: 'detours, newest 50', path: '/api/v1/detours?limit=50', target: true }];
  if (first.nextCursor) {
    list.push({
      name: 'detours, next page',
      path: `/api/v1/detours?limit=50&cursor=${encodeURIComponent(first.nextCursor)}`,
      target: true,
    });
  }
  const since = new Date(asOf - 6 * 3_600_000).toISOString();
  list.push({ name: 'detours, last 6 h', path: `/api/v1/detours?limit=50&since=${since}`, target: true });
  if (newest?.foreignCountries[0]) {
    list.push({
      name: `detours via ${newest.foreignCountries[0]}`,
      path: `/api/v1/detours?limit=50&country=${newest.foreignCountries[0]}`,
      target: true,
    });
  }
  const asn = first.detours.find((d) => d.foreignAsns.length > 0)?.foreignAsns[0];
  if (asn !== undefined) {
    list.push({ name: `detours via AS${asn}`, path: `/api/v1/detours?limit=50&asn=${asn}`, target: true });
  }
  if (newest) {
    list.push({
      name: 'detours of one agent',
      path: `/api/v1/detours?limit=50&agent=${encodeURIComponent(newest.agentId)}`,
      target: true,
    });
  }
  list.push(
    { name: 'incidents, newest 50', path: '/api/v1/incidents?limit=50', target: true },
    { name: 'incidents, open', path: '/api/v1/incidents?limit=50&state=open', target: true },
  );
  if (newest?.foreignCountries[0]) {
    list.push({
      name: `incidents via ${newest.foreignCountries[0]}`,
      path: `/api/v1/incidents?limit=50&country=${newest.foreignCountries[0]}`,
      target: true,
    });
  }
  list.push(
    { name: 'traces, newest 50', path: '/api/v1/traces?limit=50', target: false },
    { name: 'stats, 30 days', path: '/api/v1/stats', target: false },
  );
  return list;
}

/** How the query stores are generated: 16 agents, 650 targets every 15 minutes (see bench/README.md). */
export function queryStoreOptions(traces: number) {
  return { traces, onlyDetours: false, agents: 16, variants: 25, roundMinutes: 15 };
}

/** The SQLite query store of `traces` traces, generated once and cached (shared by the issue 17 sections). */
export function cachedQueryStore(traces: number, fresh: boolean): Promise<CachedStore> {
  return cachedStore(`query-store-${traces}`, queryStoreOptions(traces), fresh);
}

export interface QueryResult {
  query: Query;
  runs: Latency[];
  p50: number;
  p95: number;
}

export interface QueryFigures {
  store: CachedStore;
  results: QueryResult[];
}

/** The history API's latencies on the profile's store: SQLite, or PostgreSQL on `pg`. */
export async function measureQueries(ctx: SectionContext, pg: PgServer | null): Promise<QueryFigures> {
  const p = ctx.profile.query;
  const options = queryStoreOptions(p.traces);
  const name = `query-store-${p.traces}`;
  const store = pg
    ? await cachedPgStore(name, options, ctx.fresh, pg)
    : await cachedQueryStore(p.traces, ctx.fresh);
  const cache = pg ? 'reused from the bench cluster' : 'reused from bench/results/cache';
  console.log(
    `   ${pg ? 'PostgreSQL' : 'SQLite'} store: ${fmt.count(store.traces)} traces (${fmt.count(store.detours)} detours, ${fmt.count(store.incidents)} incidents, ${store.spanHours.toFixed(0)} h) ${store.reused ? cache : `generated in ${store.seconds.toFixed(0)} s (${fmt.rate(store.tracesPerSecond)})`}`,
  );
  const server = new Child(SERVER);
  try {
    const job: ServeStoreJob = {
      dataDir: store.dataDir,
      asOf: store.asOf,
      ...(store.database ? { database: store.database } : {}),
    };
    server.send({ type: 'job', job });
    const base = String((await server.next('ready', 120_000)).url);
    const list = await queries(base, store.asOf);
    const results: QueryResult[] = [];
    for (const query of list) {
      const runs: Latency[] = [];
      for (let r = 0; r < p.runs; r++)
        runs.push(await timeRequests(base + query.path, p.requests, WARMUP, p.budgetMs));
      const failed = runs.find((l) => l.status !== 200);
      if (failed) throw new Error(`${query.path} answered ${failed.status}`);
      results.push({ query, runs, p50: median(runs.map((l) => l.p50)), p95: median(runs.map((l) => l.p95)) });
    }
    return { store, results };
  } finally {
    await server.stop(30_000);
  }
}

export function queryDetail(figures: QueryFigures): Record<string, unknown> {
  return {
    store: { ...figures.store, dataDir: undefined, database: undefined },
    queries: figures.results.map((r) => ({
      name: r.query.name,
      path: r.query.path,
      p50: r.p50,
      p95: r.p95,
      runs: r.runs,
    })),
  };
}

export async function querySection(ctx: SectionContext): Promise<SectionOutput> {
  const figures = await measureQueries(ctx, null);
  ctx.sqliteQueries = figures;
  const { store, results } = figures;
  const scale = `${fmt.count(store.traces)} traces`;
  const rows: Row[] = results.map((r) => {
    const value = `${fmt.ms(r.p50)} / ${fmt.ms(r.p95)}`;
    const name = `API at ${scale}: ${r.query.name}`;
    return r.query.target
      ? checked(name, 'p50 / p95', value, `p95 < ${API_P95_MS} ms`, r.p95 < API_P95_MS)
      : info(name, 'p50 / p95', value);
  });
  if (store.traces < 1_000_000) {
    rows.push(info('API', 'note', `${scale} (--quick); the target is for 1,000,000`));
  }
  return { rows, detail: queryDetail(figures) };
}
