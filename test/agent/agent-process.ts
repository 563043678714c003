/** Runs the real `detourwatch agent` command as a child process, the way a volunteer starts it. */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface AgentProcess {
  child: ChildProcess;
  /** Everything written to stderr so far (the agent's log). */
  log(): string;
  /** Log lines for one event, e.g. lines('result-acked'). */
  lines(event: string): string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `detourwatch agent ARGS`. `env` adds to the test's environment; pass a stand-in engines' `env`
 * (test/helpers/stand-in-engines.ts) so that the agent finds an engine on any machine.
 */
export function spawnAgent(args: readonly string[], env: Record<string, string> = {}): AgentProcess {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/detourwatch.js'), 'agent', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr += chunk;
  });
  child.stdout?.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  return {
    child,
    log: () => stderr,
    lines: (event) => stderr.split('\n').filter((l) => new RegExp(`^\\S+ +\\S+ +${event}( |$)`).test(l)),
    exited,
  };
}

/** Stops an agent the test started, if it still runs (used in afterEach so no process outlives a test). */
export async function killAgent(agent: AgentProcess | undefined): Promise<void> {
  if (!agent || agent.child.exitCode !== null || agent.child.signalCode !== null) return;
  agent.child.kill('SIGKILL');
  await agent.exited;
}
