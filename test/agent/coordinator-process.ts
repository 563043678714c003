/** Runs the real coordinator (`detourwatch serve`) and `detourwatch token create` as child processes. */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './agent-process.ts';

const BIN = path.join(REPO_ROOT, 'bin/detourwatch.js');

export interface CoordinatorProcess {
  child: ChildProcess;
  port: number;
  /** http://127.0.0.1:PORT */
  url: string;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `serve` on 127.0.0.1 and resolves once it prints the URL it listens on; `args` and `env` add to
 * its options and environment.
 */
export async function startServe(
  dataDir: string,
  port = 0,
  timeoutMs = 30_000,
  args: readonly string[] = [],
  env: Record<string, string> = {},
): Promise<CoordinatorProcess> {
  const child = spawn(
    process.execPath,
    [
      BIN,
      'serve',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--data',
      dataDir,
      '--no-schedule',
      ...args,
    ],
    { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  const listening = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`serve did not start in ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`serve exited (${code ?? signal}) before listening:\n${output}`));
    });
  });
  const actualPort = await listening;
  return { child, port: actualPort, url: `http://127.0.0.1:${actualPort}`, output: () => output, exited };
}

export async function killServe(
  c: CoordinatorProcess | undefined,
  signal: NodeJS.Signals = 'SIGKILL',
): Promise<void> {
  if (!c || c.child.exitCode !== null || c.child.signalCode !== null) return;
  c.child.kill(signal);
  await c.exited;
}

/** `token create` prints the token on its last line; `operator` makes an API key that steers probes. */
export async function createToken(
  dataDir: string,
  name: string,
  role: 'agent' | 'operator' = 'agent',
): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [BIN, 'token', 'create', '--name', name, '--data', dataDir, '--role', role],
    {
      cwd: REPO_ROOT,
    },
  );
  const last = stdout.trim().split('\n').at(-1)?.trim();
  if (!last) throw new Error(`token create printed nothing:\n${stdout}`);
  return last;
}
