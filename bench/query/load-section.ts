/**
 * Issue 17, the operators' queries while ingesting: on (a scratch copy of) the query bench's store, each
 * history query of history-queries.ts timed idle (a coordinator serving the store, nothing arriving), then
 * again while simulated agents send `ratePerSecond` results through the real protocol to the same
 * coordinator (the `product` driver, paced, serve's default analysis workers); the ingest achieved over the
 * queries' time against the rate asked.
 */
import { fileURLToPath } from 'node:url';
import { defaultAnalysisWorkers } from '../../server/ingest/analysis-pool.ts';
import { Child } from '../child.ts';
import type { SectionContext } from '../main.ts';
import { benchIngestProduct } from '../product/ingest-product.ts';
import type { SectionOutput } from '../sections.ts';
import { scratchCopy } from '../store/scratch-copy.ts';
import type { ServeStoreJob } from '../store/serve-store-child.ts';
import { checked, fmt, info, type Row } from '../table.ts';
import { historyQueries, type TimedQuery, timeQueries, timeQueriesFor } from './history-queries.ts';
import { cachedQueryStore } from './query-section.ts';

const SERVER = fileURLToPath(new URL('../store/serve-store-child.ts', import.meta.url));
const WARMUP = 3;
/** Issue 17's targets. */
export const LOAD_P95_MS = 200;
export const LOAD_MAX_DROP = 0.2;

export async function queryLoadSection(ctx: SectionContext): Promise<SectionOutput> {
  const p = ctx.profile;
  const q = p.queryLoad;
  const store = await cachedQueryStore(p.query.traces, ctx.fresh);
  const scratch = scratchCopy(store);
  console.log(
    `   store: ${fmt.count(store.traces)} traces, copied (${fmt.mib(scratch.bytes / 2 ** 20)}) in ${scratch.copySeconds.toFixed(0)} s`,
  );
  try {
    const server = new Child(SERVER);
    let idle: TimedQuery[];
    try {
      const job: ServeStoreJob = { dataDir: scratch.dataDir, asOf: scratch.asOf };
      server.send({ type: 'job', job });
      const base = String((await server.next('ready', 120_000)).url);
      const list = await historyQueries(base, scratch.asOf);
      idle = await timeQueries(base, list, q.requests, WARMUP, q.budgetMs);
    } finally {
      await server.stop(30_000);
    }
    const analysisWorkers = defaultAnalysisWorkers();
    const ingest = await benchIngestProduct({
      ...p.product,
      variants: p.variants,
      analysisWorkers,
      runs: 1,
      existing: { dataDir: scratch.dataDir, asOf: scratch.asOf },
      ratePerSecond: q.ratePerSecond,
      // The analysis workers and the store's caches warm up before the window starts.
      warmupMs: Math.max(p.product.warmupMs, 5_000),
      during: ({ url }) =>
        timeQueriesFor(
          url,
          idle.map((t) => t.query),
          q.minWindowMs,
          q.requests,
          WARMUP,
          q.budgetMs,
        ),
    });
    const [run] = ingest.runs;
    if (!run) throw new Error('no ingest run');
    const loaded = run.duringResult as TimedQuery[];
    const rows: Row[] = [];
    const scale = `${fmt.count(store.traces)} traces`;
    for (const [i, l] of loaded.entries()) {
      const before = idle[i]?.latency;
      const name = `API at ${scale}, ${fmt.count(q.ratePerSecond)}/s arriving: ${l.query.name}`;
      rows.push(
        checked(
          name,
          'p50 / p95 loaded',
          `${fmt.ms(l.latency.p50)} / ${fmt.ms(l.latency.p95)}`,
          `p95 < ${LOAD_P95_MS} ms`,
          l.latency.p95 < LOAD_P95_MS,
          `idle ${before ? `${fmt.ms(before.p50)} / ${fmt.ms(before.p95)}` : 'n/a'}; ${l.latency.samples} requests loaded, ${before?.samples ?? 0} idle`,
        ),
      );
    }
    const drop = 1 - run.tracesPerSecond / q.ratePerSecond;
    rows.push(
      checked(
        `ingest at ${fmt.count(q.ratePerSecond)}/s while querying (${scale})`,
        'achieved / drop',
        `${fmt.rate(run.tracesPerSecond)} / ${fmt.pct(Math.max(0, drop))}`,
        `drop < ${fmt.pct(LOAD_MAX_DROP)}`,
        drop < LOAD_MAX_DROP,
        `over the queries' ${run.windowSeconds.toFixed(0)} s; ack p50 / p99 ${fmt.ms(run.ackP50Ms)} / ${fmt.ms(run.ackP99Ms)}; coordinator ${fmt.pct(run.coordinatorCpu)} of a core`,
      ),
    );
    if (store.traces < 1_000_000) {
      rows.push(info('API while ingesting', 'note', `${scale} (--quick); the target is for 1,000,000`));
    }
    const figures = (list: TimedQuery[]) =>
      list.map((t) => ({ name: t.query.name, path: t.query.path, ...t.latency }));
    return {
      rows,
      detail: {
        store: { ...store, dataDir: undefined },
        analysisWorkers,
        idle: figures(idle),
        loaded: figures(loaded),
        ingest: { ...run, duringResult: undefined },
      },
    };
  } finally {
    scratch.drop();
  }
}
