/** Each benchmark section: runs it (measured work in child processes) and turns its figures into rows. */
import type { AnalyzeResult } from './analyze-throughput.ts';
import type { CeilingResult } from './ceiling-bench.ts';
import type { SectionContext } from './main.ts';
import type { Section } from './profiles.ts';
import type { StagesResult } from './stages.ts';
import { checked, fmt, info, type Row } from './table.ts';

export interface SectionOutput {
  rows: Row[];
  detail: Record<string, unknown>;
}

const here = (file: string) => new URL(file, import.meta.url);

/** Targets from issue 7. */
export const TARGETS = {
  productRate: 5_000,
  productRatio: 0.5,
  /** Issue 17 (was 20,000/s in issue 7), with at most 600 MiB for 2 workers. */
  analyzeRate: 25_000,
  analyzeMaxMiB: 600,
  apiP95Ms: 50,
  mapInteractiveMs: 1_500,
} as const;

async function ceiling(ctx: SectionContext): Promise<SectionOutput> {
  const p = ctx.profile;
  const r = await ctx.inChild<CeilingResult>(
    here('./ceiling-bench.ts'),
    'benchCeiling',
    [{ variants: p.variants, count: p.ceiling.count, runs: p.ceiling.runs }],
    600_000,
  );
  ctx.ceiling = r;
  return {
    rows: [
      info(
        'ingest ceiling (bare loop, 1 process)',
        'traceroutes/s',
        fmt.rate(r.tracesPerSecond),
        `median of ${r.runs.length} x ${fmt.count(p.ceiling.count)}; ${fmt.count(r.distinctTraces)} distinct traces from ${r.corpus.items} recorded (${r.corpus.hopsPerTrace} hops, ${r.corpus.repliesPerTrace} replies each)`,
      ),
    ],
    detail: { ...r },
  };
}

async function product(ctx: SectionContext): Promise<SectionOutput> {
  const { benchIngestProduct } = await import('./product/ingest-product.ts');
  const { defaultAnalysisWorkers } = await import('../server/ingest/analysis-pool.ts');
  const p = ctx.profile.product;
  // Issue 17: in the main thread and with serve's default worker threads, measured in the same run.
  const rows: Row[] = [];
  const details: Record<string, unknown> = {};
  for (const analysisWorkers of [...new Set([0, defaultAnalysisWorkers()])]) {
    const r = await benchIngestProduct({ ...p, variants: ctx.profile.variants, analysisWorkers });
    // The PostgreSQL rows compare with the main-thread figure (pg-sections.ts).
    if (analysisWorkers === 0) ctx.sqliteProduct = r;
    details[`analysisWorkers${analysisWorkers}`] = r;
    const name = `ingest through the product (${p.agents} agents, ${analysisWorkers} analysis workers)`;
    rows.push(
      checked(
        name,
        'traceroutes/s',
        fmt.rate(r.tracesPerSecond),
        `>= ${fmt.count(TARGETS.productRate)}/s`,
        r.tracesPerSecond >= TARGETS.productRate,
        `median of ${r.runs.length} runs of ${p.measureMs / 1000} s after ${p.warmupMs / 1000} s warm-up; coordinator used ${fmt.pct(r.coordinatorCpu)} of a core, the agents ${fmt.pct(r.agentsCpu)}`,
      ),
    );
    if (ctx.ceiling) {
      const ratio = r.tracesPerSecond / ctx.ceiling.tracesPerSecond;
      rows.push(
        checked(
          name,
          'ratio to ceiling',
          fmt.ratio(ratio),
          `>= ${TARGETS.productRatio}`,
          ratio >= TARGETS.productRatio,
        ),
      );
    } else {
      rows.push(info(name, 'ratio to ceiling', 'n/a', 'run the ceiling section in the same invocation'));
    }
    rows.push(info(name, 'coordinator RSS', `${fmt.mib(r.rssMiB)} (peak ${fmt.mib(r.peakRssMiB)})`));
  }
  return { rows, detail: details };
}

async function stages(ctx: SectionContext): Promise<SectionOutput> {
  const p = ctx.profile.stages;
  const r = await ctx.inChild<StagesResult>(
    here('./stages.ts'),
    'benchStages',
    [{ count: p.count, variants: ctx.profile.variants, runs: p.runs }],
    600_000,
  );
  const name = 'product stages, in process';
  return {
    rows: [
      info(
        name,
        'frame / parse / analyze / write',
        [r.frame, r.parse, r.analyze, r.write].map(fmt.rate).join(' / '),
      ),
      info(
        name,
        'all four in sequence',
        fmt.rate(r.total),
        'no sockets: the most one core could ingest through this code',
      ),
    ],
    detail: { ...r },
  };
}

async function analyze(ctx: SectionContext): Promise<SectionOutput> {
  const { benchAnalyze } = await import('./analyze-throughput.ts');
  const p = ctx.profile.analyze;
  const r: AnalyzeResult = await benchAnalyze({
    traces: p.traces,
    variants: ctx.profile.variants,
    runs: p.runs,
  });
  const name = 'detourwatch analyze --json';
  return {
    rows: [
      checked(
        name,
        'traceroutes/s',
        fmt.rate(r.tracesPerSecond),
        `>= ${fmt.count(TARGETS.analyzeRate)}/s`,
        r.tracesPerSecond >= TARGETS.analyzeRate,
        `median of ${r.runs.length} runs on ${fmt.count(r.traces)} ${r.format} traces (${r.fileMiB} MiB), wall time including a ${r.startupSeconds.toFixed(1)} s start`,
      ),
      info(name, 'once started', fmt.rate(r.steadyTracesPerSecond)),
      checked(
        name,
        `peak RSS (${r.jobs} workers)`,
        fmt.mib(Math.max(...r.peakRssMiB.filter(Number.isFinite))),
        `< ${TARGETS.analyzeMaxMiB} MiB`,
        Math.max(...r.peakRssMiB.filter(Number.isFinite)) < TARGETS.analyzeMaxMiB,
        `runs: ${r.peakRssMiB.map(fmt.mib).join(', ')}; rates: ${r.runs.map(fmt.rate).join(', ')}`,
      ),
    ],
    detail: { ...r },
  };
}

export async function runSection(section: Section, ctx: SectionContext): Promise<SectionOutput> {
  switch (section) {
    case 'ceiling':
      return ceiling(ctx);
    case 'product':
      return product(ctx);
    case 'stages':
      return stages(ctx);
    case 'analyze':
      return analyze(ctx);
    case 'query':
      return (await import('./query/query-section.ts')).querySection(ctx);
    case 'map':
      return (await import('./map/map-section.ts')).mapSection(ctx);
    case 'pg-ingest':
      return (await import('./pg-sections.ts')).pgIngestSection(ctx);
    case 'pg-query':
      return (await import('./pg-sections.ts')).pgQuerySection(ctx);
    case 'burst':
      return (await import('./burst/burst-section.ts')).burstSection(ctx);
    case 'growth':
      return (await import('./product/growth-section.ts')).growthSection(ctx);
    case 'query-load':
      return (await import('./query/load-section.ts')).queryLoadSection(ctx);
    case 'sustained':
      return (await import('./product/sustained-section.ts')).sustainedSection(ctx);
  }
}
