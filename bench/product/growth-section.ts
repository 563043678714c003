/**
 * Issue 17, how ingest cost grows with the store: the `product` benchmark (serve's default analysis workers)
 * on a new store and on stores already holding each profile size of traces, generated as the query bench's
 * (bench/store/generate-store.ts through the store's own batched write path) and cached. Up to 1,000,000 the
 * runs write into a scratch copy, so the query bench's store stays as generated; larger stores are only
 * this section's and take the runs' traces in place (~2% of 10,000,000 per invocation, counted in the
 * reported size).
 */
import { defaultAnalysisWorkers } from '../../server/ingest/analysis-pool.ts';
import type { SectionContext } from '../main.ts';
import { cachedQueryStore } from '../query/query-section.ts';
import type { SectionOutput } from '../sections.ts';
import { scratchCopy } from '../store/scratch-copy.ts';
import { checked, fmt, info, type Row } from '../table.ts';
import { benchIngestProduct, type ProductIngestResult } from './ingest-product.ts';

/** The rate on a full store may be this much below the new store's (issue 17: "within 20%"). */
export const GROWTH_MIN_RATIO = 0.8;
/** Past this size a store is written in place rather than copied (a copy of 10,000,000 is ~35 GB). */
const COPY_UP_TO = 1_000_000;
const ISSUE_SIZES = [0, 1_000_000, 10_000_000];

export async function growthSection(ctx: SectionContext): Promise<SectionOutput> {
  const p = ctx.profile;
  const analysisWorkers = defaultAnalysisWorkers();
  const base = { ...p.product, variants: p.variants, analysisWorkers };
  const rows: Row[] = [];
  const detail: Record<string, unknown> = { analysisWorkers };
  let fresh: ProductIngestResult | null = null;
  const name = (size: number) => `ingest onto a store of ${fmt.count(size)} traces`;
  for (const size of p.growth.sizes) {
    let r: ProductIngestResult;
    let held = size;
    if (size === 0) {
      r = await benchIngestProduct(base);
      fresh = r;
    } else {
      const store = await cachedQueryStore(size, ctx.fresh);
      console.log(
        `   store of ${fmt.count(store.traces)} traces ${store.reused ? 'reused' : `generated in ${store.seconds.toFixed(0)} s`}`,
      );
      held = store.traces;
      if (size <= COPY_UP_TO) {
        const scratch = scratchCopy(store);
        console.log(`   copied (${fmt.mib(scratch.bytes / 2 ** 20)}) in ${scratch.copySeconds.toFixed(0)} s`);
        try {
          r = await benchIngestProduct({
            ...base,
            existing: { dataDir: scratch.dataDir, asOf: scratch.asOf },
          });
        } finally {
          scratch.drop();
        }
      } else {
        r = await benchIngestProduct({ ...base, existing: { dataDir: store.dataDir, asOf: store.asOf } });
        // What the store holds after the runs: the next invocation starts from here.
        held = Math.max(...r.runs.map((run) => run.stored.traces));
      }
    }
    detail[`size${size}`] = { ...r, held };
    const rateNote = `median of ${r.runs.length} runs of ${p.product.measureMs / 1000} s, ${p.product.agents} agents, ${analysisWorkers} analysis workers; coordinator ${fmt.pct(r.coordinatorCpu)} of a core, RSS ${fmt.mib(r.rssMiB)}`;
    rows.push(info(name(size), 'traceroutes/s', fmt.rate(r.tracesPerSecond), rateNote));
    if (size > 0 && fresh) {
      const ratio = r.tracesPerSecond / fresh.tracesPerSecond;
      rows.push(
        checked(
          name(size),
          'ratio to a new store',
          fmt.ratio(ratio),
          `>= ${GROWTH_MIN_RATIO}`,
          ratio >= GROWTH_MIN_RATIO,
          size <= COPY_UP_TO
            ? `${fmt.count(held)} traces before the runs (each run wrote into the same scratch copy)`
            : `${fmt.count(held)} traces held at the end of the runs`,
        ),
      );
    }
  }
  const missing = ISSUE_SIZES.filter((s) => !p.growth.sizes.includes(s));
  if (missing.length > 0) {
    rows.push(
      info(
        'ingest onto a full store',
        'note',
        `${missing.map(fmt.count).join(', ')} not measured in --${p.name} (the full run generates 10,000,000 once: ~35 GB, most of an hour)`,
      ),
    );
  }
  return { rows, detail };
}
