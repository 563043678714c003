/**
 * One analysis worker of the coordinator (analysis-pool.ts): opens its databases (over the tables the main
 * thread shares), says it is ready, then builds each result's record exactly as ingest would in-thread
 * (build-record.ts). What only the main thread holds (reverse names, router constraints, corrections) it asks
 * for once a trace is parsed: the addresses go over, the trace's names and learned inputs come back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { DetourwatchError } from '../../protocol/errors.ts';

import type { Trace } from '../../protocol/trace.ts';
import { createAnalyzer } from '../analyze/pipeline.ts';
import { adoptGeoTables } from '../geo/shared-tables.ts';
import { parseTraces } from '../parse/index.ts';
import type { Disc } from '../placement/constraints.ts';
import type { OperatorCorrection } from '../placement/decide.ts';
import type { AnalysisWorkerSetup, FromWorker, Learned, ToWorker } from './analysis-pool.ts';
import { buildNamedResultRecord } from './build-record.ts';

if (parentPort === null) throw new Error('analysis-worker.ts runs only as a worker thread');
const port = parentPort;
/** Messages not posted yet: one postMessage per turn of the event loop (each costs the main thread too). */
let outbox: FromWorker[] = [];
const post = (message: FromWorker): void => {
  outbox.push(message);
  if (outbox.length > 1) return;
  setImmediate(() => {
    const batch = outbox;
    outbox = [];
    port.postMessage(batch);
  });
};
const setup = workerData as AnalysisWorkerSetup;

interface TaskLearned {
  discs: Map<string, readonly Disc[]>;
  corrections: Map<string, OperatorCorrection>;
}

const NOTHING_LEARNED: TaskLearned = { discs: new Map(), corrections: new Map() };
/** The learned inputs of the trace being judged now: judging is synchronous, so one slot serves every task. */
let current = NOTHING_LEARNED;

function open() {
  try {
    // The tables the main thread loaded: shared memory, not a second parse of the ASN CSV.
    if (setup.tables !== null) adoptGeoTables(setup.tables);
    const base = createAnalyzer(setup.analyzer);
    base.preload();
    return base;
  } catch (err) {
    // At once, not batched: the thread ends next.
    port.postMessage([{ type: 'failed', ...coded(err) } satisfies FromWorker]);
    process.exit(1);
  }
}

function coded(err: unknown): { code: string; message: string } {
  if (err instanceof DetourwatchError) return { code: err.code, message: err.message };
  return { code: 'WORKER_FAILED', message: err instanceof Error ? err.message : String(err) };
}

const base = open();
const analyzer = base.withLearned({
  constraintsFor: (address) => current.discs.get(address) ?? [],
  correctionFor: (address) => current.corrections.get(address) ?? null,
});

/** The addresses placement may ask about (it asks only of global ones): the main thread looks them up. */
function askedAddresses(trace: Trace): string[] {
  const addresses = new Set<string>();
  for (const hop of trace.hops) {
    for (const reply of hop.replies) {
      if (reply.address === null || addresses.has(reply.address)) continue;
      try {
        if (base.locate(reply.address).class === 'global') addresses.add(reply.address);
      } catch {
        // Not an address: placement will not ask about it either.
      }
    }
  }
  return [...addresses];
}

/** Answers of the main thread, by task id and trace index. */
const asked = new Map<string, (learned: Learned) => void>();

async function build(task: Extract<ToWorker, { type: 'task' }>): Promise<void> {
  const learned: TaskLearned = { discs: new Map(), corrections: new Map() };
  let index = 0;
  const nameTrace = (trace: Trace): Promise<Trace> =>
    new Promise((resolve) => {
      const i = index++;
      asked.set(`${task.id}:${i}`, (answer) => {
        for (const [address, discs] of answer.discs) learned.discs.set(address, discs);
        for (const [address, correction] of answer.corrections) learned.corrections.set(address, correction);
        resolve(answer.trace ?? trace);
      });
      post({
        type: 'ask',
        id: task.id,
        index: i,
        addresses: askedAddresses(trace),
        ...(setup.naming ? { trace } : {}),
      });
    });
  const record = await buildNamedResultRecord(task.agent, task.message, task.receivedAt, {
    parseTraces,
    nameTrace,
    analyze: (trace, position, context) => {
      current = learned;
      try {
        return analyzer.annotateAndJudge(trace, position, context);
      } finally {
        current = NOTHING_LEARNED;
      }
    },
  });
  // As JSON text: parsing it costs the main thread about half of cloning the objects (bench/README.md). The raw
  // output stays out: the main thread still holds it.
  post({ type: 'done', id: task.id, record: JSON.stringify({ ...record, output: '' }) });
}

port.on('message', (batch: ToWorker[]) => {
  for (const message of batch) receive(message);
});

function receive(message: ToWorker): void {
  if (message.type === 'learned') {
    const key = `${message.id}:${message.index}`;
    const answer = asked.get(key);
    asked.delete(key);
    answer?.(message);
    return;
  }
  build(message).catch((err: unknown) => post({ type: 'error', id: message.id, ...coded(err) }));
}
post({ type: 'ready' });
