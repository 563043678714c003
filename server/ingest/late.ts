import type { ResultRecord } from '../store/trace-store.ts';

/**
 * Late results (issue 14): a trace that arrived long after it finished (an agent that was offline, an outbox
 * replayed after a restart, an import of old results) is judged, stored and alerted like any other, and
 * marked `late` so a reader knows it describes the past. Ten minutes by default (`serve --late-after`): a
 * tool's run takes a minute or two and a connected agent sends at once, and the task window (`serve
 * --task-window`, a day) bounds how late an agent's result can be accepted at all.
 */
export const DEFAULT_LATE_AFTER_MS = 10 * 60_000;

/** Whether something that ended at `endedAt` and arrived at `arrivedAt` (epoch ms) is late. */
export function isLate(endedAt: number, arrivedAt: number, lateAfterMs: number): boolean {
  return Number.isFinite(endedAt) && arrivedAt - endedAt > lateAfterMs;
}

/** The record with its traces marked late when the result arrived more than `lateAfterMs` after it ended. */
export function markLate(record: ResultRecord, lateAfterMs: number): ResultRecord {
  const ended = Date.parse(record.startedAt) + record.durationMs;
  if (!isLate(ended, Date.parse(record.receivedAt), lateAfterMs)) return record;
  return { ...record, traces: record.traces.map((t) => ({ ...t, late: true })) };
}
