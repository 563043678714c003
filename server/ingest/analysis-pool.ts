/**
 * Worker threads beside the single writer (issue 17): each parses, geolocates and judges the results it is
 * handed and sends back the record ingest would have built in-thread (analysis-worker.ts), while this thread
 * keeps the sockets, the batching write and the learned state. Reverse names, router constraints and
 * corrections live here: a worker asks for those of a trace's addresses once it has parsed it, so placement
 * reads the same values as in-thread, and a constraint not loaded yet is queued for loading as it would be.
 *
 * Bounded: a worker holds at most `perWorker` results; beyond that a result is answered `saturated` and the
 * ingest's backpressure tells the agent to slow down. A worker that stops answers its results `failed` (the
 * agent sends them again; nothing is acknowledged unstored) and is replaced; if replacements keep dying before
 * they are ready, the pool gives up and ingest builds records in-thread again.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { DetourwatchError, type ErrorCode } from '../../protocol/errors.ts';
import type { ResultMessage } from '../../protocol/messages.ts';
import type { Trace } from '../../protocol/trace.ts';
import type { AnalyzerOptions, LearnedPlacement } from '../analyze/pipeline.ts';
import { type SharedGeoTables, shareGeoTables } from '../geo/shared-tables.ts';
import type { Disc } from '../placement/constraints.ts';
import type { OperatorCorrection } from '../placement/decide.ts';
import type { ResultRecord } from '../store/trace-store.ts';
import type { BuildRecordElsewhere, BuiltRecord, IngestAgent, NameTrace } from './dependencies.ts';

/** The analyzer's plain options (no locator function: it cannot cross to a worker). */
export type WorkerAnalyzerOptions = Omit<AnalyzerOptions, 'locator'>;

export interface AnalysisWorkerSetup {
  analyzer: WorkerAnalyzerOptions;
  tables: SharedGeoTables | null;
  /** Whether the main thread adds reverse names (the worker then sends each parsed trace over). */
  naming: boolean;
}

/** The main thread's answer to a worker's `ask`: the named trace (when naming) and the learned inputs. */
export interface Learned {
  trace?: Trace;
  discs: [string, readonly Disc[]][];
  corrections: [string, OperatorCorrection][];
}

export type ToWorker =
  | { type: 'task'; id: number; agent: IngestAgent; message: ResultMessage; receivedAt: string }
  | ({ type: 'learned'; id: number; index: number } & Learned);

export type FromWorker =
  | { type: 'ready' }
  | { type: 'failed'; code: string; message: string }
  | { type: 'ask'; id: number; index: number; addresses: string[]; trace?: Trace }
  /** The record as JSON text, its `output` left empty (this thread holds the message). */
  | { type: 'done'; id: number; record: string }
  | { type: 'error'; id: number; code: string; message: string };

export interface AnalysisPoolOptions {
  /** Worker threads (at least 1). */
  size: number;
  /** The same options as the in-thread analyzer's, so both judge alike. */
  analyzer: WorkerAnalyzerOptions;
  /** What the coordinator has learned (issue 15), read here for each trace's addresses. */
  learned?: Pick<LearnedPlacement, 'constraintsFor' | 'correctionFor'>;
  nameTrace?: NameTrace;
  /** Results a worker holds at once before the pool answers `saturated` (default 256). */
  perWorker?: number;
  /**
   * What the databases in service are (serve: the swappable locator); when it changes, the workers are
   * replaced by ones that open the files again, and the old ones finish what they hold.
   */
  generation?: () => unknown;
  /** Called with every worker started (tests stop one to see it replaced). */
  onWorker?: (worker: Worker) => void;
  log?: (line: string) => void;
}

export interface AnalysisPoolStats {
  workers: number;
  ready: number;
  /** Workers that stopped and were replaced. */
  replaced: number;
  /** Results answered `failed` because their worker stopped. */
  lost: number;
  inFlight: number;
}

export interface AnalysisPool {
  /** Resolves once every worker has opened its databases; rejects with the coded error of one that cannot. */
  ready(): Promise<void>;
  /** For ingest (IngestOptions.buildElsewhere). */
  build: BuildRecordElsewhere;
  stats(): AnalysisPoolStats;
  /** Stops the workers; results still out are answered `failed` (call it after the ingest has closed). */
  close(): Promise<void>;
}

/** Workers dying before ready, in a row, after which the pool stops replacing them. */
const MAX_STARTUP_FAILURES = 3;

const WORKER_ENTRY = new URL('./analysis-worker.js', import.meta.url);

/** serve's default: one worker per core beside the main thread's, none on a single core. */
export function defaultAnalysisWorkers(): number {
  return Math.max(0, availableParallelism() - 1);
}

interface Task {
  agent: IngestAgent;
  message: ResultMessage;
  resolve(built: BuiltRecord): void;
}

interface Member {
  worker: Worker;
  ready: boolean;
  tasks: Map<number, Task>;
  /** Messages for it not posted yet: one postMessage per turn of the event loop, not per message. */
  outbox: ToWorker[];
  /** Set once it stopped (its exit handled). */
  gone: boolean;
  /** Replaced after a database swap: takes no new result, stops once it has answered those it holds. */
  retiring: boolean;
}

function codedError(code: string, message: string): DetourwatchError {
  const known = code as ErrorCode;
  return new DetourwatchError(known, message);
}

export function startAnalysisPool(options: AnalysisPoolOptions): AnalysisPool {
  const size = Math.max(1, Math.floor(options.size));
  const perWorker = options.perWorker ?? 256;
  const log = options.log ?? (() => {});
  const { learned, nameTrace } = options;
  // The tables this thread loads once, shared with every worker (not parsed again in each).
  const setup: AnalysisWorkerSetup = {
    analyzer: options.analyzer,
    tables: shareGeoTables(options.analyzer),
    naming: nameTrace !== undefined,
  };
  const members: Member[] = [];
  /** Retired after a swap, still answering what they hold. */
  const draining = new Set<Member>();
  const stats = { replaced: 0, lost: 0 };
  let nextId = 0;
  let closing = false;
  let broken = false;
  let startupFailures = 0;
  let firstReady: { resolve(): void; reject(err: Error): void } | null = null;
  const allReady = new Promise<void>((resolve, reject) => {
    firstReady = { resolve, reject };
  });
  // A rejection nobody awaited must not end the process: ready() hands it to whoever asks.
  allReady.catch(() => {});

  const settleReady = (err?: Error): void => {
    if (firstReady === null) return;
    if (err) firstReady.reject(err);
    else if (members.every((m) => m.ready)) firstReady.resolve();
    else return;
    firstReady = null;
  };

  async function answerAsk(member: Member, ask: Extract<FromWorker, { type: 'ask' }>): Promise<void> {
    let trace = ask.trace;
    if (trace !== undefined && nameTrace !== undefined) trace = await nameTrace(trace).catch(() => ask.trace);
    const discs: [string, readonly Disc[]][] = [];
    const corrections: [string, OperatorCorrection][] = [];
    for (const address of ask.addresses) {
      const d = learned?.constraintsFor?.(address) ?? [];
      if (d.length > 0) discs.push([address, d]);
      const c = learned?.correctionFor?.(address) ?? null;
      if (c !== null) corrections.push([address, c]);
    }
    if (member.gone) return;
    const answer: ToWorker = {
      type: 'learned',
      id: ask.id,
      index: ask.index,
      discs,
      corrections,
      ...(trace === undefined ? {} : { trace }),
    };
    send(member, answer);
  }

  function send(member: Member, message: ToWorker): void {
    member.outbox.push(message);
    if (member.outbox.length > 1) return;
    setImmediate(() => {
      const batch = member.outbox;
      member.outbox = [];
      if (!member.gone) member.worker.postMessage(batch);
    });
  }

  function finish(member: Member, id: number, built: BuiltRecord): void {
    const task = member.tasks.get(id);
    if (!task) return;
    member.tasks.delete(id);
    task.resolve(built);
    if (member.retiring && member.tasks.size === 0) void member.worker.terminate();
  }

  /** After a database swap: new workers over the files as they are now; the old ones drain. */
  function recycle(): void {
    setup.tables = shareGeoTables(options.analyzer);
    const old = members.splice(0, members.length);
    for (const member of old) {
      member.retiring = true;
      draining.add(member);
      if (member.tasks.size === 0) void member.worker.terminate();
    }
    for (let i = 0; i < size; i++) members.push(start());
    log(`ingest: the databases changed; ${size} new analysis worker(s) open them`);
  }

  function start(): Member {
    const worker = new Worker(WORKER_ENTRY, { workerData: setup });
    const member: Member = {
      worker,
      ready: false,
      tasks: new Map(),
      outbox: [],
      gone: false,
      retiring: false,
    };
    let failure: DetourwatchError | null = null;
    worker.on('message', (batch: FromWorker[]) => {
      for (const m of batch) receive(m);
    });
    const receive = (m: FromWorker): void => {
      switch (m.type) {
        case 'ready':
          member.ready = true;
          startupFailures = 0;
          settleReady();
          return;
        case 'failed':
          failure = codedError(m.code, m.message);
          return;
        case 'ask':
          answerAsk(member, m).catch((err: unknown) => {
            finish(member, m.id, {
              unbuilt: 'failed',
              reason: `cannot answer an analysis worker: ${String(err)}`,
            });
          });
          return;
        case 'done': {
          const task = member.tasks.get(m.id);
          if (task) {
            const record = JSON.parse(m.record) as ResultRecord;
            record.output = task.message.output;
            finish(member, m.id, { record });
          }
          return;
        }
        case 'error':
          log(`ingest: an analysis worker could not build a record: ${m.code}: ${m.message}`);
          finish(member, m.id, { unbuilt: 'failed', reason: `the analysis failed: ${m.code}: ${m.message}` });
      }
    };
    worker.on('error', (err) => {
      failure ??= err instanceof DetourwatchError ? err : codedError('WORKER_FAILED', err.message);
    });
    worker.on('exit', (status) => {
      member.gone = true;
      draining.delete(member);
      const why = failure?.message ?? `it exited (status ${status})`;
      const index = members.indexOf(member);
      if (index >= 0) members.splice(index, 1);
      for (const [id] of member.tasks) {
        stats.lost += 1;
        finish(member, id, { unbuilt: 'failed', reason: `an analysis worker stopped: ${why}` });
      }
      if (closing || member.retiring) return;
      if (!member.ready) startupFailures += 1;
      if (startupFailures >= MAX_STARTUP_FAILURES || (firstReady !== null && failure !== null)) {
        broken = true;
        log(`ingest: analysis workers cannot start (${why}); analysing in the main thread`);
        settleReady(failure ?? codedError('WORKER_FAILED', `an analysis worker failed: ${why}`));
        return;
      }
      log(`ingest: an analysis worker stopped (${why}); starting another`);
      stats.replaced += 1;
      members.push(start());
    });
    options.onWorker?.(worker);
    return member;
  }

  let generation = options.generation?.();
  for (let i = 0; i < size; i++) members.push(start());

  return {
    ready: () => allReady,
    build(agent, message, receivedAt) {
      if (closing || broken) return null;
      const now = options.generation?.();
      if (now !== generation) {
        generation = now;
        recycle();
      }
      if (members.length === 0) return null;
      let chosen: Member | null = null;
      for (const member of members) {
        if (chosen === null) chosen = member;
        else if (member.ready === chosen.ready ? member.tasks.size < chosen.tasks.size : member.ready)
          chosen = member;
      }
      if (chosen === null) return null;
      if (chosen.tasks.size >= perWorker) {
        return Promise.resolve({ unbuilt: 'saturated', reason: 'every analysis worker is busy' });
      }
      const id = nextId++;
      const member = chosen;
      return new Promise<BuiltRecord>((resolve) => {
        member.tasks.set(id, { agent, message, resolve });
        const task: ToWorker = { type: 'task', id, agent, message, receivedAt };
        send(member, task);
      });
    },
    stats: () => ({
      workers: members.length,
      ready: members.filter((m) => m.ready).length,
      replaced: stats.replaced,
      lost: stats.lost,
      inFlight: members.reduce((n, m) => n + m.tasks.size, 0),
    }),
    async close() {
      closing = true;
      await Promise.all([...members, ...draining].map((m) => m.worker.terminate()));
    },
  };
}
