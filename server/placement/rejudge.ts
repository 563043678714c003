/**
 * Re-judging after a placement change (issue 15, item 6), the I/O shell: the recent traces that have the
 * address among their hops (at most `maxTraces`, started within `windowMs`) are judged again by the analysis
 * pipeline in service, which already places the address by the new correction (the coordinator updates the
 * correction map first), and every verdict that changed is written back with its hop rows; the store moves
 * the incidents along in the same transaction, and the map reads what is stored. The change record keeps what
 * happened: how many traces were judged again, which verdicts changed, which incidents they left or joined.
 * The pure parts are rejudge-plan.ts.
 */
import { describeError } from '../../protocol/errors.ts';
import type { VerdictChangeItem } from '../../protocol/location-corrections.ts';
import type { Analyzer } from '../analyze/pipeline.ts';
import type {
  LocationCorrectionStore,
  PlacementChange,
  RejudgedLink,
  RejudgedTrace,
} from '../store/location-correction-store.ts';
import {
  type ParseTraces,
  storedChanged,
  traceToJudge,
  verdictChange,
  verdictChanged,
} from './rejudge-plan.ts';

export interface RejudgeSettings {
  /** Traces started at most this long before the change are judged again (default 30 days). */
  windowMs: number;
  /** At most this many of them, newest first (default 5,000). */
  maxTraces: number;
}

export const DEFAULT_REJUDGE: RejudgeSettings = { windowMs: 30 * 86_400_000, maxTraces: 5000 };

/** Re-judged traces written per transaction: short transactions, so ingest is never held up for long. */
const WRITE_BATCH = 200;
const WRITE_ATTEMPTS = 3;

export interface RejudgeDeps {
  store: Pick<LocationCorrectionStore, 'rejudgeCandidates' | 'writeRejudged' | 'finishPlacementChange'>;
  analyze: Analyzer['annotateAndJudge'];
  parseTraces: ParseTraces;
  now(): number;
  log(line: string): void;
  /**
   * Called once per change after its record is final (re-judged, or failed): THE place a "placement
   * changed" event is raised (issue 12's events table). Must not throw.
   */
  placementChanged?(change: PlacementChange): void;
}

/**
 * A busy store (SQLite's lock, a PostgreSQL deadlock with an ingest batch folding the same incident) rolls the
 * whole batch back: it is tried again a few times before the change is recorded as failed.
 */
async function writeWithRetry(deps: RejudgeDeps, batch: RejudgedTrace[]): Promise<RejudgedLink[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await deps.store.writeRejudged(batch);
    } catch (err) {
      if (attempt >= WRITE_ATTEMPTS) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

/** Judges again what `change` affects, records the outcome on the change and returns the final record. */
export async function rejudgeChange(
  change: PlacementChange,
  deps: RejudgeDeps,
  settings: RejudgeSettings = DEFAULT_REJUDGE,
): Promise<PlacementChange> {
  const windowFrom = change.at - settings.windowMs;
  let done: PlacementChange;
  const changes: VerdictChangeItem[] = [];
  let tracesRejudged = 0;
  try {
    const candidates = await deps.store.rejudgeCandidates(change.ip, windowFrom, settings.maxTraces);
    const rewritten: { write: RejudgedTrace; before: RejudgedTrace['verdict'] }[] = [];
    for (const c of candidates) {
      const { trace } = traceToJudge(c, deps.parseTraces);
      const position =
        c.sourcePosition === null ? null : { ...c.sourcePosition, source: 'declared' as const };
      const context = c.raw === null ? undefined : { expectedDestination: c.raw.target };
      let judged: ReturnType<RejudgeDeps['analyze']>;
      try {
        judged = deps.analyze(trace, position, context);
      } catch (err) {
        deps.log(`placement: trace #${c.traceId} cannot be judged again: ${describeError(err)}`);
        continue;
      }
      if (judged.verdict.verdict === 'implausible' || !storedChanged(c.verdict, judged.verdict)) continue;
      rewritten.push({
        before: c.verdict,
        write: {
          traceId: c.traceId,
          agentId: c.agentId,
          startedAt: c.startedAt,
          sourcePosition: c.sourcePosition,
          trace,
          verdict: judged.verdict,
          pathAsns: null,
        },
      });
    }
    tracesRejudged = candidates.length;
    for (let i = 0; i < rewritten.length; i += WRITE_BATCH) {
      const batch = rewritten.slice(i, i + WRITE_BATCH);
      const links = new Map(
        (
          await writeWithRetry(
            deps,
            batch.map((b) => b.write),
          )
        ).map((l) => [l.traceId, l]),
      );
      for (const b of batch) {
        const link = links.get(b.write.traceId) ?? { left: null, incident: null };
        if (verdictChanged(b.before, b.write.verdict) || link.left !== null) {
          changes.push(verdictChange(b.write.traceId, b.before, b.write.verdict, link));
        }
      }
    }
    done = {
      ...change,
      state: 'applied',
      appliedAt: deps.now(),
      windowFrom,
      tracesRejudged,
      verdictsChanged: changes.length,
      changes,
      error: null,
    };
  } catch (err) {
    done = {
      ...change,
      state: 'failed',
      appliedAt: deps.now(),
      windowFrom,
      // What was written before the failure stays written: the record says so.
      tracesRejudged,
      verdictsChanged: changes.length,
      changes,
      error: describeError(err),
    };
  }
  await deps.store.finishPlacementChange(done.id, done);
  deps.log(
    `placement: ${done.kind} ${done.ip} by ${done.by}: ${done.state}, ${done.tracesRejudged} trace(s) judged again, ` +
      `${done.verdictsChanged} verdict(s) changed${done.error ? ` (${done.error})` : ''}`,
  );
  try {
    deps.placementChanged?.(done);
  } catch {
    // A listener's failure is its own; the change is recorded.
  }
  return done;
}
