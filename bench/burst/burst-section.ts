/** The `burst` section's rows (issue 17's backpressure target). */
import type { SectionContext } from '../main.ts';
import type { SectionOutput } from '../sections.ts';
import { median } from '../stats.ts';
import { checked, fmt, info } from '../table.ts';
import { benchBurst } from './burst-bench.ts';

export async function burstSection(ctx: SectionContext): Promise<SectionOutput> {
  const p = ctx.profile.burst;
  const r = await benchBurst({ ...p, variants: ctx.profile.variants });
  const name = `burst: ${fmt.count(p.ratePerSecond)}/s for ${p.burstMs / 1000} s (${p.agents} agents)`;
  const { rssMiB, ...detail } = r;
  return {
    rows: [
      checked(
        name,
        'told to slow down',
        `${fmt.count(r.slowDowns)} slow-downs, ${fmt.count(r.overloaded)} results refused`,
        '> 0',
        r.slowDowns > 0,
        `${fmt.count(r.made)} results made; acked ${fmt.rate(r.ackedPerSecondInBurst)} during the burst`,
      ),
      checked(
        name,
        'ingest pending (peak / bound)',
        `${fmt.count(r.peakPending)} / ${fmt.count(r.pendingBound)}`,
        '<= bound',
        r.peakPending <= r.pendingBound,
      ),
      info(name, 'coordinator RSS peak', fmt.mib(r.peakRssMiB), `median ${fmt.mib(median(rssMiB))}`),
      checked(
        name,
        'acked / stored / left in outboxes',
        `${fmt.count(r.acked)} / ${fmt.count(r.stored)} / ${fmt.count(r.left)}`,
        'acked <= stored, made = acked + left',
        r.acked <= r.stored && r.made === r.acked + r.left,
        `drained ${r.drainSeconds.toFixed(0)} s after the burst; ${r.errors} agent errors`,
      ),
    ],
    detail: { ...detail, rssSamples: rssMiB.length },
  };
}
