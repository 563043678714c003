/**
 * The operators' history queries of issue 17 (traces by agent, by target, by a one-day window; detours by
 * agent, country, ASN; incidents; stats), with filter values taken from the stored data: the busiest agent
 * and the commonest target of the newest 1,000 traces, the foreign country and AS of the newest detour, the
 * day up to the store's own "now".
 */
import { quantile } from '../stats.ts';
import { type Latency, timeRequests } from './latency.ts';
import type { Query } from './query-section.ts';

const DAY_MS = 86_400_000;

async function getJson(url: string): Promise<Record<string, unknown>> {
  const res = await fetch(url, { signal: AbortSignal.timeout(60_000) });
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}

function commonest(values: readonly (string | null)[]): string | null {
  const counts = new Map<string, number>();
  for (const v of values) if (v !== null) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: string | null = null;
  for (const [v, n] of counts) if (best === null || n > (counts.get(best) ?? 0)) best = v;
  return best;
}

export async function historyQueries(base: string, asOf: number): Promise<Query[]> {
  const newest = (await getJson(`${base}/api/v1/traces?limit=1000`)) as {
    traces: { agentId: string | null; destinationIp: string | null }[];
  };
  const agent = commonest(newest.traces.map((t) => t.agentId));
  const target = commonest(newest.traces.map((t) => t.destinationIp));
  const detours = (await getJson(`${base}/api/v1/detours?limit=50`)) as {
    detours: { foreignCountries: string[]; foreignAsns: number[] }[];
  };
  const country = detours.detours.find((d) => d.foreignCountries.length > 0)?.foreignCountries[0];
  const asn = detours.detours.find((d) => d.foreignAsns.length > 0)?.foreignAsns[0];
  // The last day (what an operator asks first); the store's clock runs on while results arrive.
  const since = new Date(asOf - DAY_MS).toISOString();
  const list: Query[] = [];
  const add = (name: string, path: string) => list.push({ name, path, target: true });
  if (agent) add('traces of the busiest agent', `/api/v1/traces?limit=50&agent=${encodeURIComponent(agent)}`);
  if (target) add('traces to one target', `/api/v1/traces?limit=50&target=${encodeURIComponent(target)}`);
  add('traces of the last day', `/api/v1/traces?limit=50&since=${since}`);
  if (agent)
    add('detours of the busiest agent', `/api/v1/detours?limit=50&agent=${encodeURIComponent(agent)}`);
  if (country) add(`detours via ${country}`, `/api/v1/detours?limit=50&country=${country}`);
  if (asn !== undefined) add(`detours via AS${asn}`, `/api/v1/detours?limit=50&asn=${asn}`);
  add('incidents, newest 50', '/api/v1/incidents?limit=50');
  add('stats, 30 days', '/api/v1/stats');
  return list;
}

export interface TimedQuery {
  query: Query;
  latency: Latency;
}

/** Each query in turn: `warmup` untimed then up to `requests` timed requests, a query stopping after `budgetMs`. */
export async function timeQueries(
  base: string,
  list: readonly Query[],
  requests: number,
  warmup: number,
  budgetMs: number,
): Promise<TimedQuery[]> {
  const out: TimedQuery[] = [];
  for (const query of list) {
    const latency = await timeRequests(base + query.path, requests, warmup, budgetMs);
    if (latency.status !== 200) throw new Error(`${query.path} answered ${latency.status}`);
    out.push({ query, latency });
  }
  return out;
}

/**
 * The queries again and again until `minMs` have passed (at least one pass): a client querying all the time
 * an ingest is measured. Percentiles over every pass's requests.
 */
export async function timeQueriesFor(
  base: string,
  list: readonly Query[],
  minMs: number,
  requests: number,
  warmup: number,
  budgetMs: number,
): Promise<TimedQuery[]> {
  const began = performance.now();
  const merged = list.map((query) => ({ query, samples: [] as number[], last: null as Latency | null }));
  for (let pass = 0; pass === 0 || performance.now() - began < minMs; pass++) {
    const timed = await timeQueries(base, list, requests, pass === 0 ? warmup : 0, budgetMs);
    for (const [i, t] of timed.entries()) {
      const m = merged[i];
      if (!m) continue;
      m.samples.push(...t.latency.samplesMs);
      m.last = t.latency;
    }
  }
  return merged.map(({ query, samples, last }) => ({
    query,
    latency: {
      p50: quantile(samples, 0.5),
      p95: quantile(samples, 0.95),
      max: samples.reduce((a, b) => Math.max(a, b), 0),
      samples: samples.length,
      bytes: last?.bytes ?? 0,
      status: last?.status ?? 0,
      samplesMs: samples,
    },
  }));
}
