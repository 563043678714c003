/**
 * The PostgreSQL rows: the product and query benchmarks run on the store's PostgreSQL engine (pg-cluster.ts
 * gives the server), each with its ratio to the SQLite figure of this same invocation — taken from the
 * `product`/`query` sections when they ran before, measured here otherwise. Ingest goes through one
 * coordinator and through two on the one database, the simulated agents split between them.
 */
import { randomBytes } from 'node:crypto';
import type { SectionContext } from './main.ts';
import { type PgServer, pgUnavailable, startPgServer } from './pg-cluster.ts';
import { benchIngestProduct, type ProductIngestResult } from './product/ingest-product.ts';
import { API_P95_MS, measureQueries, queryDetail } from './query/query-section.ts';
import type { SectionOutput } from './sections.ts';
import { checked, fmt, info, type Row, skipped } from './table.ts';

const INGEST = 'ingest on PostgreSQL';

async function onServer<T>(fn: (server: PgServer) => Promise<T>): Promise<T> {
  const server = await startPgServer();
  try {
    return await fn(server);
  } finally {
    await server.stop();
  }
}

function freshDatabase(server: PgServer) {
  return async () => {
    const name = `bench_ingest_${randomBytes(6).toString('hex')}`;
    const url = await server.createDatabase(name);
    return { url, drop: () => server.dropDatabase(name) };
  };
}

function ingestNote(r: ProductIngestResult, p: SectionContext['profile']['product']): string {
  return `median of ${r.runs.length} runs of ${p.measureMs / 1000} s after ${p.warmupMs / 1000} s warm-up; coordinators used ${fmt.pct(r.coordinatorCpu)} of a core, the agents ${fmt.pct(r.agentsCpu)}`;
}

export async function pgIngestSection(ctx: SectionContext): Promise<SectionOutput> {
  const p = ctx.profile.product;
  const why = pgUnavailable();
  if (why !== null) {
    return {
      rows: [skipped(`${INGEST}, 1 and 2 coordinators`, `SKIPPED: ${why}`)],
      detail: { skipped: why },
    };
  }
  // Analysis in the coordinator's main thread, as the SQLite figure it is compared with (the product
  // section's first row): the engines compared, not the worker threads.
  const options = { ...p, variants: ctx.profile.variants, analysisWorkers: 0 };
  const measuredHere = ctx.sqliteProduct === null;
  const sqlite = ctx.sqliteProduct ?? (await benchIngestProduct(options));
  const sqliteNote = `SQLite ${fmt.rate(sqlite.tracesPerSecond)} ${measuredHere ? '(measured in this section)' : '(the product row)'}`;
  const rows: Row[] = [];
  const detail: Record<string, unknown> = { sqlite };
  await onServer(async (server) => {
    const one = await benchIngestProduct({ ...options, database: freshDatabase(server), coordinators: 1 });
    detail.oneCoordinator = one;
    const name1 = `${INGEST}, 1 coordinator (${p.agents} agents)`;
    rows.push(
      info(name1, 'traceroutes/s', fmt.rate(one.tracesPerSecond), ingestNote(one, p)),
      info(name1, 'ratio to SQLite', fmt.ratio(one.tracesPerSecond / sqlite.tracesPerSecond), sqliteNote),
    );
    const name2 = `${INGEST}, 2 coordinators (${p.agents / 2} agents each)`;
    try {
      const two = await benchIngestProduct({ ...options, database: freshDatabase(server), coordinators: 2 });
      detail.twoCoordinators = two;
      rows.push(
        info(name2, 'traceroutes/s', fmt.rate(two.tracesPerSecond), ingestNote(two, p)),
        info(name2, 'ratio to SQLite', fmt.ratio(two.tracesPerSecond / sqlite.tracesPerSecond)),
        info(name2, 'ratio to 1 coordinator', fmt.ratio(two.tracesPerSecond / one.tracesPerSecond)),
      );
    } catch (err) {
      const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
      rows.push(skipped(name2, `failed: ${message}`));
      detail.twoCoordinators = { error: message };
    }
  });
  return { rows, detail };
}

export async function pgQuerySection(ctx: SectionContext): Promise<SectionOutput> {
  const why = pgUnavailable();
  if (why !== null) {
    return { rows: [skipped('API on PostgreSQL', `SKIPPED: ${why}`)], detail: { skipped: why } };
  }
  const sqlite = ctx.sqliteQueries ?? (await measureQueries(ctx, null));
  const figures = await onServer((server) => measureQueries(ctx, server));
  const scale = `${fmt.count(figures.store.traces)} traces`;
  const rows: Row[] = figures.results.map((r) => {
    const base = sqlite.results.find((s) => s.query.name === r.query.name);
    const ratio = base ? fmt.ratio(r.p95 / base.p95) : 'n/a';
    const value = `${fmt.ms(r.p50)} / ${fmt.ms(r.p95)}; ${ratio}`;
    const name = `API on PostgreSQL at ${scale}: ${r.query.name}`;
    const figure = 'p50 / p95; p95 ratio to SQLite';
    return r.query.target
      ? checked(name, figure, value, `p95 < ${API_P95_MS} ms`, r.p95 < API_P95_MS)
      : info(name, figure, value);
  });
  if (figures.store.traces !== sqlite.store.traces) {
    rows.push(info('API on PostgreSQL', 'note', `SQLite store has ${fmt.count(sqlite.store.traces)} traces`));
  }
  if (figures.store.traces < 1_000_000) {
    rows.push(info('API on PostgreSQL', 'note', `${scale} (--quick); the target is for 1,000,000`));
  }
  return { rows, detail: { postgres: queryDetail(figures), sqlite: queryDetail(sqlite) } };
}
