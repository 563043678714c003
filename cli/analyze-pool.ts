/**
 * Worker threads for `detourwatch analyze --jobs N`: each parses, judges and renders the batches of lines it
 * is given. A worker that dies fails every batch still out, and every later one, with WORKER_FAILED: the
 * command ends with that error rather than waiting for an answer that will not come.
 */
import { Worker } from 'node:worker_threads';
import { DetourwatchError } from '../protocol/errors.ts';
import { shareGeoTables } from '../server/geo/shared-tables.ts';
import type { AnalyzeSettings, BatchOutput, LineBatch } from './analyze-batch.ts';

export interface AnalyzePool {
  /**
   * Whether to hand batches to run(): a worker has opened its databases (until then, ~1 s, the caller does
   * better working itself), or the pool has failed, so that run() reports it rather than it going unseen.
   */
  takesWork(): boolean;
  /** The batch's output, from the least busy worker that is ready (or the first, if none is). */
  run(batch: LineBatch): Promise<BatchOutput>;
  close(): Promise<void>;
}

interface Waiting {
  resolve(output: BatchOutput): void;
  reject(err: Error): void;
}

interface Member {
  worker: Worker;
  ready: boolean;
  waiting: Map<number, Waiting>;
}

type WorkerMessage = { ready: true } | { id: number; output: BatchOutput };

const WORKER_ENTRY = new URL('./analyze-worker.js', import.meta.url);

/** What a worker is started with: the settings and the tables this thread loaded, shared rather than copied. */
export interface WorkerSetup {
  settings: AnalyzeSettings;
  tables: ReturnType<typeof shareGeoTables> | null;
}

export function startAnalyzePool(size: number, settings: AnalyzeSettings): AnalyzePool {
  let failure: DetourwatchError | null = null;
  let closing = false;
  let nextId = 0;
  const members: Member[] = [];

  const fail = (reason: string) => {
    if (closing || failure !== null) return;
    failure = new DetourwatchError('WORKER_FAILED', `an analysis worker failed: ${reason}`);
    for (const member of members) {
      for (const waiting of member.waiting.values()) waiting.reject(failure);
      member.waiting.clear();
      void member.worker.terminate();
    }
  };

  // A test's locator function cannot cross to a worker; the workers then fail as they would have anyway.
  const tables = settings.analyzer.locator === undefined ? shareGeoTables(settings.analyzer) : null;
  const setup: WorkerSetup = { settings, tables };
  for (let i = 0; i < size; i++) {
    const worker = new Worker(WORKER_ENTRY, { workerData: setup });
    const member: Member = { worker, ready: false, waiting: new Map() };
    member.worker.on('message', (message: WorkerMessage) => {
      if ('ready' in message) {
        member.ready = true;
        return;
      }
      const waiting = member.waiting.get(message.id);
      member.waiting.delete(message.id);
      waiting?.resolve(message.output);
    });
    member.worker.on('error', (err) => fail(err instanceof Error ? err.message : String(err)));
    member.worker.on('exit', (code) => fail(`it exited (status ${code})`));
    members.push(member);
  }

  return {
    takesWork: () => failure !== null || members.some((m) => m.ready),
    run(batch) {
      if (failure !== null) return Promise.reject(failure);
      let chosen = members[0] as Member;
      for (const member of members) {
        const better =
          member.ready === chosen.ready ? member.waiting.size < chosen.waiting.size : member.ready;
        if (better) chosen = member;
      }
      const id = nextId++;
      return new Promise<BatchOutput>((resolve, reject) => {
        chosen.waiting.set(id, { resolve, reject });
        chosen.worker.postMessage({ id, batch });
      });
    },
    async close() {
      closing = true;
      await Promise.all(members.map((m) => m.worker.terminate()));
    },
  };
}
