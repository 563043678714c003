/** No trace is larger than the largest a real tool prints. */
import type { Trace } from '../../protocol/trace.ts';
import { MAX_HOPS_PER_TRACE, MAX_REPLIES_PER_TRACE } from '../parse/limits.ts';
import type { Findings } from './findings.ts';

export function checkSize(trace: Trace, findings: Findings): void {
  if (trace.hops.length > MAX_HOPS_PER_TRACE) {
    findings.report(
      'too-many-hops',
      null,
      `${trace.hops.length} hops, more than the ${MAX_HOPS_PER_TRACE} a trace can have (one per TTL)`,
    );
  }
  let replies = 0;
  for (const hop of trace.hops) replies += hop.replies.length;
  if (replies > MAX_REPLIES_PER_TRACE) {
    findings.report(
      'too-many-replies',
      null,
      `${replies} replies, more than the ${MAX_REPLIES_PER_TRACE} of the largest real traces`,
    );
  }
}
