/**
 * Benchmarks run their measured work in child processes (node --import tsx): each gets a fresh heap, its own
 * core when two are busy, and an RSS of its own to read. Parent and child talk over the IPC channel in
 * `{ type, ... }` messages; every wait is bounded by a timeout.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ChildMessage {
  type: string;
  [key: string]: unknown;
}

export class Child {
  readonly process: ChildProcess;
  readonly #inbox: ChildMessage[] = [];
  #waiter: (() => void) | null = null;
  #exited = false;

  constructor(script: string, args: string[] = [], execArgv: string[] = []) {
    this.process = fork(script, args, {
      execArgv: [...execArgv, '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.process.on('message', (m) => {
      this.#inbox.push(m as ChildMessage);
      this.#waiter?.();
    });
    // A child that has disconnected makes a late send fail with EPIPE: nothing to do about it here.
    this.process.on('error', () => {});
    this.process.on('exit', () => {
      this.#exited = true;
      this.#waiter?.();
    });
  }

  get pid(): number {
    return this.process.pid ?? -1;
  }

  send(message: ChildMessage): void {
    if (this.process.connected) this.process.send(message);
  }

  /** The next message of `type` (earlier ones of other types are dropped); throws on timeout or exit. */
  async next(type: string, timeoutMs: number): Promise<ChildMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.#inbox.findIndex((m) => m.type === type || m.type === 'error');
      if (index !== -1) {
        const [m] = this.#inbox.splice(index, 1);
        if (m?.type === 'error') throw new Error(`child ${this.pid}: ${String(m.message)}`);
        if (m) return m;
      }
      if (this.#exited) throw new Error(`child ${this.pid} exited before sending "${type}"`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`child ${this.pid}: no "${type}" within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiter = () => {
          clearTimeout(timer);
          this.#waiter = null;
          resolve();
        };
      });
    }
  }

  /** Asks the child to stop; kills it (by its pid) if it has not exited within `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.#exited) return;
    this.send({ type: 'stop' });
    const exited = new Promise<void>((resolve) => this.process.once('exit', () => resolve()));
    const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}

/** Current and peak resident memory of a process, in MiB (Linux /proc); null where unreadable. */
export function residentMiB(pid: number): { rss: number; peak: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (key: string) =>
      Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

/** For child scripts: the job the parent sends first, and a way to answer. */
export function childJob<T>(): Promise<T> {
  return new Promise((resolve) => {
    process.once('message', (m) => resolve((m as { job: T }).job));
  });
}

export function reply(message: ChildMessage): void {
  process.send?.(message);
}

/**
 * Runs a child's main, reporting a failure to the parent instead of dying silently. A child never outlives
 * its parent: once the IPC channel closes (the parent exited, or the child finished), it exits within a
 * second even if a server or a timer would keep it alive.
 */
export function runChildMain(main: () => Promise<void>): void {
  process.once('disconnect', () => setTimeout(() => process.exit(process.exitCode ?? 0), 1000).unref());
  main().catch((err: unknown) => {
    reply({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    process.exitCode = 1;
    setTimeout(() => process.exit(1), 100).unref();
  });
}

/** CPU time (user + system) a process has used, in seconds (Linux /proc); NaN where unreadable. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

/** USER_HZ: 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS = 100;

const IN_CHILD = new URL('./in-child.ts', import.meta.url);

/** Calls `fn` of the bench module `module` (a file URL) in a fresh child process; bounded by `timeoutMs`. */
export async function runInChild<T>(module: URL, fn: string, args: unknown[], timeoutMs: number): Promise<T> {
  const child = new Child(IN_CHILD.pathname);
  try {
    child.send({ type: 'job', job: { module: module.href, fn, args } });
    return (await child.next('result', timeoutMs)).value as T;
  } finally {
    await child.stop();
  }
}
