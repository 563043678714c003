import { createHash } from 'node:crypto';
import type { Trace } from '../../protocol/trace.ts';

/**
 * What makes an imported Atlas result the same result when it is imported again: its measurement, probe and
 * timestamp (one probe runs one measurement at most once a second). A result missing one of them is keyed by
 * the hash of its text (and its place in it) instead, which still recognises the same file imported twice.
 */
export function atlasImportKey(trace: Trace, text: string, index: number): string {
  const m = trace.meta ?? {};
  const { msm_id: msm, prb_id: prb, timestamp: ts } = m;
  if (typeof msm === 'number' && typeof prb === 'number' && typeof ts === 'number') {
    return `atlas:${msm}:${prb}:${ts}`;
  }
  return `atlas-sha256:${createHash('sha256').update(text).digest('hex')}:${index}`;
}
