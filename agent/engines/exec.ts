import { execFile } from 'node:child_process';
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

export const runTool: ToolRunner = (binary, args, options) =>
  new Promise((resolve, reject) => {
    execFile(
      binary,
      [...args],
      {
        encoding: 'utf8',
        timeout: options.timeoutMs,
        maxBuffer: options.maxBuffer,
        signal: options.signal,
        // SIGKILL: a tool that ignores SIGTERM must not keep a task (and this promise) alive.
        killSignal: 'SIGKILL',
        windowsHide: true,
      },
      (error, stdout, stderr) => {
        if (error) {
          Object.assign(error, { stdout, stderr });
          reject(error);
        } else resolve({ stdout, stderr });
      },
    );
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
