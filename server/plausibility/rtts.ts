/** RTTs are finite, above zero, and no later than the tool waited for replies. */
import type { Trace } from '../../protocol/trace.ts';
import type { Bounds } from './bounds.ts';
import { type Findings, shown } from './findings.ts';

function checkRtt(value: number, ttl: number, what: string, bounds: Bounds, findings: Findings): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    findings.report(
      'rtt-invalid',
      ttl,
      `TTL ${shown(ttl)}: ${what} ${shown(value)} ms is not a round-trip time (a finite number above zero)`,
    );
  } else if (value > bounds.listenMs) {
    findings.report(
      'rtt-after-wait',
      ttl,
      `TTL ${shown(ttl)}: ${what} ${value} ms is later than ${bounds.listenSaid} (${bounds.listenMs} ms)`,
    );
  }
}

export function checkRtts(trace: Trace, bounds: Bounds, findings: Findings): void {
  for (const hop of trace.hops) {
    for (const reply of hop.replies) {
      if (reply.rttMs !== null) checkRtt(reply.rttMs, hop.ttl, 'RTT', bounds, findings);
    }
    const stats = hop.stats;
    if (stats === undefined) continue;
    // mtr's summary: each aggregate is an RTT too, and a bad one says the summary was not measured.
    for (const [what, value] of [
      ['Last', stats.lastMs],
      ['Avg', stats.avgMs],
      ['Best', stats.bestMs],
      ['Wrst', stats.worstMs],
    ] as const) {
      if (value !== null) checkRtt(value, hop.ttl, `${what} RTT`, bounds, findings);
    }
    const stdev = stats.stdevMs;
    if (stdev !== null && !(typeof stdev === 'number' && Number.isFinite(stdev) && stdev >= 0)) {
      findings.report(
        'rtt-invalid',
        hop.ttl,
        `TTL ${shown(hop.ttl)}: StDev ${shown(stdev)} ms is not a finite number of at least zero`,
      );
    }
  }
}
