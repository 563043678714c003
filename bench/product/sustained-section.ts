/**
 * Issue 17, ingest sustained: the `product` benchmark (serve's default analysis workers, a new store) as one
 * long run, the coordinator's RSS kept every few seconds: its growth from the end of the warm-up to the end
 * of the run (the median of the first and of the last tenth of the samples, so one GC does not decide it),
 * and the acknowledgement latency the agents saw. Run only when asked (`--only sustained`): 11 minutes.
 */
import { defaultAnalysisWorkers } from '../../server/ingest/analysis-pool.ts';
import type { SectionContext } from '../main.ts';
import type { SectionOutput } from '../sections.ts';
import { median } from '../stats.ts';
import { checked, fmt, info, type Row } from '../table.ts';
import { benchIngestProduct } from './ingest-product.ts';

/** Issue 17's targets. */
export const SUSTAINED_MAX_RSS_GROWTH = 0.1;
export const SUSTAINED_ACK_P99_MS = 500;
const PRODUCT_RATIO = 0.6;

export async function sustainedSection(ctx: SectionContext): Promise<SectionOutput> {
  const p = ctx.profile;
  const s = p.sustained;
  const analysisWorkers = defaultAnalysisWorkers();
  const r = await benchIngestProduct({
    ...p.product,
    variants: p.variants,
    analysisWorkers,
    runs: 1,
    warmupMs: s.warmupMs,
    measureMs: s.measureMs,
    rssEveryMs: s.rssEveryMs,
  });
  const [run] = r.runs;
  if (!run) throw new Error('no ingest run');
  const samples = run.rssTimeline.map((x) => x.mib);
  const tenth = Math.max(1, Math.floor(samples.length / 10));
  const atStart = median(samples.slice(0, tenth));
  const atEnd = median(samples.slice(-tenth));
  const growth = atEnd / atStart - 1;
  const name = `ingest sustained ${s.measureMs / 60_000} min (${p.product.agents} agents, ${analysisWorkers} analysis workers)`;
  const rows: Row[] = [
    info(
      name,
      'traceroutes/s',
      fmt.rate(r.tracesPerSecond),
      `one run of ${s.measureMs / 1000} s after ${s.warmupMs / 1000} s warm-up; coordinator ${fmt.pct(run.coordinatorCpu)} of a core; ${fmt.count(run.stored.traces)} traces stored`,
    ),
  ];
  if (ctx.ceiling) {
    const ratio = r.tracesPerSecond / ctx.ceiling.tracesPerSecond;
    rows.push(
      checked(name, 'ratio to ceiling', fmt.ratio(ratio), `>= ${PRODUCT_RATIO}`, ratio >= PRODUCT_RATIO),
    );
  }
  rows.push(
    checked(
      name,
      'coordinator RSS, warm-up -> end',
      `${fmt.mib(atStart)} -> ${fmt.mib(atEnd)} (${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)}%)`,
      `< +${fmt.pct(SUSTAINED_MAX_RSS_GROWTH)}`,
      growth < SUSTAINED_MAX_RSS_GROWTH,
      `${samples.length} samples every ${s.rssEveryMs / 1000} s; peak ${fmt.mib(r.peakRssMiB)}`,
    ),
    checked(
      name,
      'ack latency p50 / p99',
      `${fmt.ms(run.ackP50Ms)} / ${fmt.ms(run.ackP99Ms)}`,
      `p99 < ${SUSTAINED_ACK_P99_MS} ms`,
      run.ackP99Ms < SUSTAINED_ACK_P99_MS,
      `from the agents' side, send to ack; longest ${fmt.ms(run.ackMaxMs)}`,
    ),
  );
  if (s.measureMs < 600_000) {
    rows.push(info(name, 'note', `${s.measureMs / 1000} s (--quick); the target is for 10 minutes`));
  }
  return { rows, detail: { ...r, rssAtStart: atStart, rssAtEnd: atEnd, rssGrowth: growth } };
}
