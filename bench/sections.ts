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
  analyzeRate: 20_000,
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
  const p = ctx.profile.product;
  const r = await benchIngestProduct({ ...p, variants: ctx.profile.variants });
  const name = `ingest through the product (${p.agents} agents)`;
  const rows: Row[] = [
    checked(
      name,
      'traceroutes/s',
      fmt.rate(r.tracesPerSecond),
      `>= ${fmt.count(TARGETS.productRate)}/s`,
      r.tracesPerSecond >= TARGETS.productRate,
      `median of ${r.runs.length} runs of ${p.measureMs / 1000} s after ${p.warmupMs / 1000} s warm-up; coordinator used ${fmt.pct(r.coordinatorCpu)} of a core, the agents ${fmt.pct(r.agentsCpu)}`,
    ),
  ];
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
  return { rows, detail: { ...r } };
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
  }
}
