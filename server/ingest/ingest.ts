import { describeError } from '../../protocol/errors.ts';
import type { ResultMessage } from '../../protocol/messages.ts';
import type { ResultRecord, Store, WriteOutcome } from '../store/store.ts';
import { buildResultRecord } from './build-record.ts';
import type { Analyze, IngestAgent, ParseTraces } from './dependencies.ts';

/** How a submitted result ended: durable (or already was), or not stored so the agent must send it again. */
export type IngestReply = { status: WriteOutcome } | { error: string };

export interface IngestOptions {
  store: Store;
  parseTraces: ParseTraces;
  analyze: Analyze;
  /** How long the first result of a batch waits for company before the batch is written. */
  batchMs?: number;
  /** A batch this large is written at once. */
  batchMax?: number;
  now?: () => Date;
  log?: (line: string) => void;
}

export interface IngestStats {
  stored: number;
  duplicates: number;
  /** Stored raw because (part of) the output did not parse or could not be judged. */
  withErrors: number;
  /** Not stored (the store failed); the agent keeps the result and sends it again. */
  failed: number;
  batches: number;
}

export interface Ingest {
  /** Parses and judges now, stores with the next batch, then calls `reply` (after the commit, never before). */
  submit(agent: IngestAgent, message: ResultMessage, reply: (r: IngestReply) => void): void;
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
 */
export function createIngest(options: IngestOptions): Ingest {
  const batchMs = options.batchMs ?? 10;
  const batchMax = options.batchMax ?? 500;
  const now = options.now ?? (() => new Date());
  const log = options.log ?? (() => {});
  const stats: IngestStats = { stored: 0, duplicates: 0, withErrors: 0, failed: 0, batches: 0 };
  let batch = new Map<string, Entry>();
  let timer: NodeJS.Timeout | null = null;
  let writing: Promise<void> | null = null;
  let inFlight = 0;
  let closed = false;

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
    if ('error' in outcome) stats.failed += 1;
    else if (outcome.status === 'duplicate') stats.duplicates += 1;
    else {
      stats.stored += 1;
      if (entry.record.error !== null) stats.withErrors += 1;
    }
    stats.duplicates += rest.length;
  }

  async function writeOne(entry: Entry): Promise<void> {
    let outcomes: WriteOutcome[];
    try {
      outcomes = await options.store.writeResults([entry.record]);
    } catch (err) {
      if (entry.record.traces.length === 0) {
        log(`ingest: cannot store result ${entry.record.resultId}: ${describeError(err)}`);
        answer(entry, { error: `the coordinator could not store the result: ${describeError(err)}` });
        return;
      }
      const why = `cannot store its traces: ${describeError(err)}`;
      entry.record = {
        ...entry.record,
        traces: [],
        error: entry.record.error === null ? why : `${entry.record.error}; ${why}`,
      };
      return writeOne(entry);
    }
    answer(entry, { status: outcomes[0] ?? 'stored' });
  }

  async function write(entries: Entry[]): Promise<void> {
    stats.batches += 1;
    let outcomes: WriteOutcome[];
    try {
      outcomes = await options.store.writeResults(entries.map((e) => e.record));
    } catch (err) {
      log(
        `ingest: a batch of ${entries.length} failed (${describeError(err)}); writing its results one by one`,
      );
      for (const entry of entries) await writeOne(entry);
      return;
    }
    entries.forEach((entry, i) => {
      answer(entry, { status: outcomes[i] ?? 'stored' });
    });
  }

  function flush(): void {
    if (timer) clearTimeout(timer);
    timer = null;
    if (writing || batch.size === 0) return;
    const entries = [...batch.values()];
    batch = new Map();
    writing = write(entries).finally(() => {
      writing = null;
      // What arrived during the write has waited long enough: write it now.
      if (batch.size > 0) flush();
    });
  }

  return {
    submit(agent, message, reply) {
      if (closed) {
        reply({ error: 'the coordinator is shutting down; the result will be sent again' });
        return;
      }
      inFlight += 1;
      const same = batch.get(message.resultId);
      if (same) {
        same.replies.push(reply);
        return;
      }
      const record = buildResultRecord(agent, message, now().toISOString(), options);
      batch.set(message.resultId, { record, replies: [reply] });
      if (batch.size >= batchMax) flush();
      else if (timer === null && !writing) timer = setTimeout(flush, batchMs);
    },
    pending: () => inFlight,
    stats: () => ({ ...stats }),
    async close() {
      closed = true;
      flush();
      while (writing) {
        await writing;
        flush();
      }
    },
  };
}
