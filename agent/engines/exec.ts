import { spawn } from 'node:child_process';
import { DetourwatchError } from '../../protocol/errors.ts';

export interface ToolOutput {
  stdout: string;
  stderr: string;
}

export interface ToolRunOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Bytes of stdout (and of stderr) kept before the tool is killed. */
  maxBuffer: number;
}

/**
 * Runs a binary with an argument array (never a shell) and resolves with its output when it exits 0.
 * Rejects with the raw child_process error otherwise: callers decide what a failure means.
 */
export type ToolRunner = (
  binary: string,
  args: readonly string[],
  options: ToolRunOptions,
) => Promise<ToolOutput>;

/** Failure details child_process attaches to the error it rejects with. */
export interface ToolFailure extends Error {
  code?: string | number | null;
  killed?: boolean;
  signal?: NodeJS.Signals | null;
  stdout?: string;
  stderr?: string;
}

/** Process groups of the tools still running, killed if the agent exits while they run. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

/** SIGKILLs a tool's whole process group: the tool and whatever it forked. */
function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // ESRCH: everyone in the group is gone already.
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pgid of liveGroups) killGroup(pgid);
  });
}

/**
 * Like execFile with a timeout, an abort signal and maxBuffer, and the same error fields (code, killed,
 * signal, stdout, stderr), but the tool runs in its own process group and dies whole: at the timeout, on
 * abort, past the output limit and when the tool itself exits, the group is SIGKILLed, so a child it forked
 * can neither outlive it nor hold its output pipes (and this promise) open.
 */
export const runTool: ToolRunner = (binary, args, options) =>
  new Promise((resolve, reject) => {
    const cmd = [binary, ...args].join(' ');
    const child = spawn(binary, [...args], { detached: true, windowsHide: true });
    const pgid = child.pid;
    if (pgid !== undefined) {
      installExitHook();
      liveGroups.add(pgid);
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const kept = { stdout: 0, stderr: 0 };
    /** Why this side killed the group, once it has: what the promise rejects with when the pipes close. */
    let failure: ToolFailure | null = null;
    let settled = false;

    const stop = (why: ToolFailure) => {
      failure ??= why;
      if (pgid !== undefined) killGroup(pgid);
    };
    const collect = (name: 'stdout' | 'stderr', into: Buffer[]) => (chunk: Buffer) => {
      if (failure !== null) return;
      const room = options.maxBuffer - kept[name];
      if (chunk.length > room) {
        into.push(chunk.subarray(0, Math.max(0, room)));
        kept[name] = options.maxBuffer;
        const code = 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER';
        stop(Object.assign(new RangeError(`${name} maxBuffer length exceeded`), { code }));
        return;
      }
      into.push(chunk);
      kept[name] += chunk.length;
    };
    child.stdout?.on('data', collect('stdout', out));
    child.stderr?.on('data', collect('stderr', err));

    const timer = setTimeout(() => {
      const fields = { code: null, killed: true, signal: 'SIGKILL' as const };
      stop(Object.assign(new Error(`Command failed: ${cmd}`), fields));
    }, options.timeoutMs);
    const onAbort = () => {
      const aborted = new Error('The operation was aborted', { cause: options.signal?.reason });
      stop(Object.assign(aborted, { name: 'AbortError', code: 'ABORT_ERR' }));
    };
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });

    const finish = (error: ToolFailure | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (pgid !== undefined) liveGroups.delete(pgid);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (error) {
        Object.assign(error, { cmd, stdout, stderr });
        reject(error);
      } else resolve({ stdout, stderr });
    };
    // Spawning failed (ENOENT, EACCES): there is no process to wait for.
    child.on('error', (spawnError: ToolFailure) => {
      if (child.pid === undefined) finish(spawnError);
    });
    // The tool is done: whatever it left running in its group goes too, so its pipes close.
    child.on('exit', () => {
      if (pgid !== undefined) killGroup(pgid);
    });
    child.on('close', (code: number | null, signal: NodeJS.Signals | null) => {
      if (failure !== null) finish(failure);
      else if (code === 0) finish(null);
      else {
        const said = Buffer.concat(err).toString('utf8');
        finish(Object.assign(new Error(`Command failed: ${cmd}\n${said}`), { code, killed: false, signal }));
      }
    });
  });

function firstLine(text: string | undefined): string {
  const line = (text ?? '').split('\n').find((l) => l.trim() !== '');
  return line === undefined ? '' : line.trim().slice(0, 300);
}

/** Turns a ToolRunner rejection into the DetourwatchError a user can act on. */
export function describeToolFailure(
  binary: string,
  err: unknown,
  options: Pick<ToolRunOptions, 'timeoutMs' | 'signal' | 'maxBuffer'>,
): DetourwatchError {
  const failure = err as ToolFailure;
  if (failure.code === 'ENOENT') {
    return new DetourwatchError(
      'ENGINE_MISSING',
      `${binary} is not installed or not on PATH (Debian: apt-get install scamper mtr-tiny traceroute)`,
      { cause: err },
    );
  }
  if (failure.code === 'EACCES') {
    return new DetourwatchError('ENGINE_FAILED', `${binary} is not executable by this user`, { cause: err });
  }
  if (options.signal?.aborted) {
    return new DetourwatchError('ENGINE_FAILED', `${binary} was stopped: the task was cancelled`, {
      cause: err,
    });
  }
  if (failure.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
    return new DetourwatchError(
      'ENGINE_FAILED',
      `${binary} printed more than ${options.maxBuffer} bytes and was stopped`,
      { cause: err },
    );
  }
  if (failure.killed) {
    return new DetourwatchError('ENGINE_FAILED', `${binary} did not finish within ${options.timeoutMs} ms`, {
      cause: err,
    });
  }
  const exit = typeof failure.code === 'number' ? `exit code ${failure.code}` : `signal ${failure.signal}`;
  const said = firstLine(failure.stderr) || firstLine(failure.stdout) || 'no error message';
  return new DetourwatchError('ENGINE_FAILED', `${binary} failed (${exit}): ${said}`, { cause: err });
}
