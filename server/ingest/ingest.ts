import { describeError } from '../../protocol/errors.ts';
import type { ResultMessage, RetryCode } from '../../protocol/messages.ts';
import type { Store } from '../store/store.ts';
import type { ResultRecord, WriteOutcome } from '../store/trace-store.ts';
import { buildNamedResultRecord, buildResultRecord } from './build-record.ts';
import type {
  Analyze,
  BuildRecordElsewhere,
  BuiltRecord,
  IngestAgent,
  NameTrace,
  ParseTraces,
} from './dependencies.ts';
import { DEFAULT_LATE_AFTER_MS, markLate } from './late.ts';
import { isStoreBusy } from './store-busy.ts';
import { createStoreOutage, storeUnwritable } from './store-unwritable.ts';

/**
 * How a submitted result ended: committed (or already was), or NOT stored, so the agent keeps it and sends
 * it again after `retryAfterMs` (`code`: the store cannot write, its disk is full or it is read-only).
 */
export type IngestReply =
  | { status: WriteOutcome }
  /** `overloaded`: refused unparsed because too many results were pending (the hub tells the agent to slow down). */
  | { retryAfterMs: number; reason: string; code?: RetryCode; overloaded?: true };

/**
 * Retry delays: while the store is busy, doubling from `busyMs` up to `busyCapMs`; while it cannot write
 * (disk full, read-only), doubling from `unwritableMs` up to `unwritableCapMs`; after a failure, `failedMs`.
 */
export interface RetryPolicy {
  busyMs: number;
  busyCapMs: number;
  unwritableMs: number;
  unwritableCapMs: number;
  failedMs: number;
  /** While more than `maxPending` results wait for the store (issue 17: backpressure). */
  overloadedMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  busyMs: 250,
  busyCapMs: 10_000,
  unwritableMs: 30_000,
  unwritableCapMs: 5 * 60_000,
  failedMs: 60_000,
  overloadedMs: 1000,
};

/** Results pending (accepted, not yet answered) per result a batch holds, beyond which new ones are refused. */
export const PENDING_PER_BATCH = 4;
export const DEFAULT_BATCH_MAX = 500;

/** What a result submitted during shutdown is told: the connection closes next, the agent reconnects. */
const SHUTDOWN_RETRY_MS = 1000;

export interface IngestOptions {
  store: Store;
  parseTraces: ParseTraces;
  analyze: Analyze;
  /** Reverse names for traces the tools ran with -n, added before judging (absent: names from the output only). */
  nameTrace?: NameTrace;
  /**
   * Builds records in worker threads instead (analysis-pool.ts, issue 17); a result it cannot take now is
   * built here as without it.
   */
  buildElsewhere?: BuildRecordElsewhere;
  /** How long the first result of a batch waits for company before the batch is written. */
  batchMs?: number;
  /** A batch this large is written at once. */
  batchMax?: number;
  retry?: Partial<RetryPolicy>;
  /**
   * Results accepted and not yet answered beyond which new ones are answered `retry` (overloaded) without
   * being parsed: a burst waits in the agents' outboxes, not in this process (default 4 x batchMax).
   */
  maxPending?: number;
  /** A result arriving this long after it ended is marked late (late.ts; default 10 minutes). */
  lateAfterMs?: number;
  now?: () => Date;
  log?: (line: string) => void;
}

export interface IngestStats {
  stored: number;
  duplicates: number;
  /** Stored raw because (part of) the output did not parse or could not be judged. */
  withErrors: number;
  /** Answered `retry` because the store was busy (locked by another writer); the agent sends them again. */
  busy: number;
  /** Answered `retry` because the store cannot write (disk full, read-only); the agent sends them again. */
  unwritable: number;
  /** Answered `retry` because the store failed, even writing the result raw; the agent sends them again. */
  failed: number;
  /** Answered `retry` unparsed because `maxPending` results were pending (backpressure). */
  overloaded: number;
  /** The most results pending at once. */
  peakPending: number;
  batches: number;
}

export interface Ingest {
  /** Parses and judges now, stores with the next batch, then calls `reply` (after the commit, never before). */
  submit(agent: IngestAgent, message: ResultMessage, reply: (r: IngestReply) => void): void;
  /**
   * When `err` (from another write of the store, e.g. claiming the result's task) means the store cannot
   * write: the coded `retry` to answer, the outage logged once like the ingest's own; else null.
   */
  storeFault(err: unknown): IngestReply | null;
  /** Results accepted but not yet answered. */
  pending(): number;
  stats(): IngestStats;
  /** Writes what is pending, refuses new results, resolves when every reply has been given. */
  close(): Promise<void>;
}

interface Entry {
  record: ResultRecord;
  /** The first reply gets the write's outcome; later submissions of the same resultId in the batch are duplicates. */
  replies: ((r: IngestReply) => void)[];
}

/**
 * The batching write path: results collect for `batchMs` (or until `batchMax`), are written in one
 * transaction, and only then acknowledged. One batch is written at a time; results arriving meanwhile form
 * the next. If a batch fails, its records are retried one by one, and a record whose traces cannot be
 * written is retried raw, so one poisonous result never blocks the others or gets lost.
 *
 * A busy store (another process holds the write lock) is not a failure: nothing is split or stripped, the
 * whole batch is answered `retry`, and no write is tried again before that delay has passed, so waiting for
 * the lock happens between calls, never inside one (the store's own busy wait must be short: it blocks).
 *
 * A store that cannot write (disk full, read-only) is not the records' fault either: the batch is answered
 * `retry` with the outage's code and a long delay, traces kept, and the outage is logged once. Writes are not
 * held back meanwhile (a write to a full disk fails at once): whichever batch comes first after space returns
 * is stored, and that ends the outage.
 */
export function createIngest(options: IngestOptions): Ingest {
  const batchMs = options.batchMs ?? 10;
  const batchMax = options.batchMax ?? DEFAULT_BATCH_MAX;
  const maxPending = options.maxPending ?? PENDING_PER_BATCH * batchMax;
  const lateAfterMs = options.lateAfterMs ?? DEFAULT_LATE_AFTER_MS;
  const now = options.now ?? (() => new Date());
  const log = options.log ?? (() => {});
  const retry: RetryPolicy = { ...DEFAULT_RETRY, ...options.retry };
  const stats: IngestStats = {
    stored: 0,
    duplicates: 0,
    withErrors: 0,
    busy: 0,
    unwritable: 0,
    failed: 0,
    overloaded: 0,
    peakPending: 0,
    batches: 0,
  };
  const outage = createStoreOutage(retry.unwritableMs, retry.unwritableCapMs, log);
  let batch = new Map<string, Entry>();
  let timer: NodeJS.Timeout | null = null;
  let writing: Promise<void> | null = null;
  /** Results waiting for their reverse names before they join a batch. */
  const naming = new Set<Promise<void>>();
  let inFlight = 0;
  let closed = false;
  /** Busy answers in a row; the delay doubles with each. */
  let busyStreak = 0;
  /** No write starts before this (performance.now() time): the store said busy. */
  let holdUntil = 0;

  function answer(entry: Entry, outcome: IngestReply): void {
    const [first, ...rest] = entry.replies;
    // A reply that throws must not keep the others from theirs, nor make a committed write look failed.
    const safely = (reply: (r: IngestReply) => void, r: IngestReply): void => {
      try {
        reply(r);
      } catch (err) {
        log(`ingest: answering result ${entry.record.resultId} failed: ${describeError(err)}`);
      }
    };
    if (first) safely(first, outcome);
    for (const reply of rest) safely(reply, 'status' in outcome ? { status: 'duplicate' } : outcome);
    inFlight -= entry.replies.length;
    if (!('status' in outcome)) return;
    if (outcome.status === 'duplicate') stats.duplicates += 1;
    else {
      stats.stored += 1;
      if (entry.record.error !== null) stats.withErrors += 1;
    }
    stats.duplicates += rest.length;
  }

  /** After a committed write: `stored` or `duplicate` only for what the store says it wrote or had. */
  function answerWritten(entry: Entry, outcome: WriteOutcome | undefined): void {
    if (outcome === 'stored' || outcome === 'duplicate') {
      answer(entry, { status: outcome });
      return;
    }
    log(`ingest: the store gave no outcome for result ${entry.record.resultId}; asking for it again`);
    answer(entry, { retryAfterMs: retry.busyMs, reason: 'the coordinator could not confirm the write' });
  }

  /** The store said busy: the next delay of the streak, and no write before it has passed. */
  function storeBusy(err: unknown, results: number): number {
    busyStreak += 1;
    const delayMs = Math.min(retry.busyCapMs, retry.busyMs * 2 ** Math.min(busyStreak - 1, 20));
    holdUntil = performance.now() + delayMs;
    log(
      `ingest: the store is busy (${describeError(err)}); ${results} result(s) answered retry in ${delayMs} ms`,
    );
    return delayMs;
  }

  const busyReply = (delayMs: number): IngestReply => ({
    retryAfterMs: delayMs,
    reason: "the coordinator's store is busy",
  });

  /** Answers `retry` to results the store did not take through no fault of theirs (busy, cannot write). */
  function answerNotTaken(entries: readonly Entry[], reply: IngestReply): void {
    if ('code' in reply) stats.unwritable += entries.length;
    else stats.busy += entries.length;
    for (const entry of entries) answer(entry, reply);
  }

  /**
   * The reply for this and the batch's remaining results when the store was busy or cannot write (the entry
   * is answered either way).
   */
  async function writeOne(entry: Entry): Promise<IngestReply | null> {
    let outcomes: WriteOutcome[];
    try {
      outcomes = await options.store.writeResults([entry.record]);
    } catch (err) {
      const notTaken = isStoreBusy(err) ? busyReply(storeBusy(err, 1)) : unwritableReply(err);
      if (notTaken) {
        answerNotTaken([entry], notTaken);
        return notTaken;
      }
      if (entry.record.traces.length === 0) {
        log(`ingest: cannot store result ${entry.record.resultId}: ${describeError(err)}`);
        stats.failed += 1;
        answer(entry, {
          retryAfterMs: retry.failedMs,
          reason: `the coordinator could not store the result: ${describeError(err)}`,
        });
        return null;
      }
      const why = `cannot store its traces: ${describeError(err)}`;
      entry.record = {
        ...entry.record,
        traces: [],
        error: entry.record.error === null ? why : `${entry.record.error}; ${why}`,
      };
      return writeOne(entry);
    }
    written();
    answerWritten(entry, outcomes[0]);
    return null;
  }

  /** The store cannot write: the outage's reply, or null for any other error. */
  function unwritableReply(err: unknown): IngestReply | null {
    const why = storeUnwritable(err);
    return why === null ? null : outage.failed(why);
  }

  /** A write committed: the store is neither busy nor out of room any more. */
  function written(): void {
    busyStreak = 0;
    outage.recovered();
  }

  async function write(entries: Entry[]): Promise<void> {
    stats.batches += 1;
    let outcomes: WriteOutcome[];
    try {
      outcomes = await options.store.writeResults(entries.map((e) => e.record));
    } catch (err) {
      // Busy or cannot write: not the records' fault, so none is split off or stripped of its traces.
      const notTaken = isStoreBusy(err) ? busyReply(storeBusy(err, entries.length)) : unwritableReply(err);
      if (notTaken) {
        answerNotTaken(entries, notTaken);
        return;
      }
      log(
        `ingest: a batch of ${entries.length} failed (${describeError(err)}); writing its results one by one`,
      );
      let restNotTaken: IngestReply | null = null;
      for (const entry of entries) {
        // A lock taken (or the disk filled) midway answers the rest retry instead of trying each.
        if (restNotTaken !== null) answerNotTaken([entry], restNotTaken);
        else restNotTaken = await writeOne(entry);
      }
      return;
    }
    written();
    entries.forEach((entry, i) => {
      answerWritten(entry, outcomes[i]);
    });
  }

  function flush(): void {
    if (timer) clearTimeout(timer);
    timer = null;
    if (writing || batch.size === 0) return;
    const holdMs = holdUntil - performance.now();
    // On close the batch is tried at once: a busy store answers retry, and the agent sends it again later.
    if (holdMs > 0 && !closed) {
      timer = setTimeout(flush, holdMs);
      return;
    }
    const entries = [...batch.values()];
    batch = new Map();
    writing = write(entries).finally(() => {
      writing = null;
      // What arrived during the write has waited long enough: write it now.
      if (batch.size > 0) flush();
    });
  }

  function enqueue(record: ResultRecord, reply: (r: IngestReply) => void): void {
    const same = batch.get(record.resultId);
    if (same) {
      same.replies.push(reply);
      return;
    }
    batch.set(record.resultId, { record, replies: [reply] });
    if (batch.size >= batchMax) flush();
    else if (timer === null && !writing) timer = setTimeout(flush, batchMs);
  }

  /** A worker's record joins the batch; a result it could not build is answered retry, not stored. */
  function builtElsewhere(built: BuiltRecord, reply: (r: IngestReply) => void): void {
    if ('record' in built) {
      enqueue(markLate(built.record, lateAfterMs), reply);
      return;
    }
    inFlight -= 1;
    const overloaded = built.unbuilt === 'saturated';
    if (overloaded) stats.overloaded += 1;
    else stats.failed += 1;
    try {
      reply(
        overloaded
          ? { retryAfterMs: retry.overloadedMs, reason: built.reason, overloaded: true }
          : { retryAfterMs: retry.busyMs, reason: built.reason },
      );
    } catch (err) {
      log(`ingest: answering a result failed: ${describeError(err)}`);
    }
  }

  return {
    submit(agent, message, reply) {
      if (closed) {
        reply({ retryAfterMs: SHUTDOWN_RETRY_MS, reason: 'the coordinator is shutting down' });
        return;
      }
      if (inFlight >= maxPending) {
        stats.overloaded += 1;
        reply({
          retryAfterMs: retry.overloadedMs,
          reason: 'the coordinator holds more results than it can store now: slow down',
          overloaded: true,
        });
        return;
      }
      inFlight += 1;
      if (inFlight > stats.peakPending) stats.peakPending = inFlight;
      const same = batch.get(message.resultId);
      if (same) {
        same.replies.push(reply);
        return;
      }
      const receivedAt = now().toISOString();
      const elsewhere = options.buildElsewhere?.(agent, message, receivedAt) ?? null;
      if (elsewhere !== null) {
        const built: Promise<void> = elsewhere
          .then((b) => builtElsewhere(b, reply))
          .finally(() => naming.delete(built));
        naming.add(built);
        return;
      }
      const { nameTrace } = options;
      if (nameTrace === undefined) {
        enqueue(markLate(buildResultRecord(agent, message, receivedAt, options), lateAfterMs), reply);
        return;
      }
      const named: Promise<void> = buildNamedResultRecord(agent, message, receivedAt, {
        ...options,
        nameTrace,
      })
        .then((record) => enqueue(markLate(record, lateAfterMs), reply))
        .finally(() => naming.delete(named));
      naming.add(named);
    },
    storeFault(err) {
      const reply = unwritableReply(err);
      if (reply) stats.unwritable += 1;
      return reply;
    },
    pending: () => inFlight,
    stats: () => ({ ...stats }),
    async close() {
      closed = true;
      while (naming.size > 0) await Promise.all(naming);
      flush();
      while (writing) {
        await writing;
        flush();
      }
    },
  };
}
