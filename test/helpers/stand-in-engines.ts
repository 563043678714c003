/**
 * Stand-in traceroute engines for tests whose point is not the real tool (the agent's protocol, outbox,
 * lifecycle, limits, refusals, how it runs and kills tools). A temporary directory holds executables named
 * scamper, mtr and traceroute (copies of stand-in-engine.mjs) and a `node` link for their
 * `#!/usr/bin/env node` line; put `env.PATH` in front of a child's PATH, or run them in-process through
 * `runner`. They print output recorded from the real tools (test/fixtures/engine-output) and can be told to
 * hang, flood or fail, to fork a child that hangs, or to wait for `release()`.
 */
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTool, type ToolRunner } from '../../agent/engines/exec.ts';
import { ENGINE_NAMES, type EngineName } from '../../agent/engines/types.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ENGINE_OUTPUT_DIR = path.resolve(here, '../fixtures/engine-output');
const SCRIPT = path.join(here, 'stand-in-engine.mjs');

export type StandInMode = 'trace' | 'fail' | 'hang' | 'flood';

export interface StandInControl {
  mode: StandInMode;
  /** First start a child that hangs for 60 s and shares the tool's output pipes (see childPids). */
  fork?: boolean;
  /** Wait for release() before doing what `mode` says. */
  hold?: boolean;
}

export interface StandInCall {
  tool: EngineName;
  args: string[];
  pid: number;
  /** `version` for the -v/-V probe, else the mode it ran in. */
  mode: StandInMode | 'version';
}

export interface StandInEngines {
  dir: string;
  /** Environment for a child process (the agent): the stand-ins first on its PATH. */
  env: { PATH: string };
  /** A ToolRunner that runs the stand-in of the binary asked for (for runTrace and detectEngines). */
  runner: ToolRunner;
  /** How later runs behave (runs already started keep their mode, except that release() ends a hold). */
  control(control: StandInControl): Promise<void>;
  /** Lets every held run, and every later one until the next hold, go on. */
  release(): Promise<void>;
  /** Every run so far, in order. */
  calls(): StandInCall[];
  /** Trace runs only (no version probes). */
  traces(): StandInCall[];
  /** Pids of the children that runs with `fork` started. */
  childPids(): number[];
  /** SIGKILLs whatever the stand-ins left running and deletes the directory. */
  remove(): Promise<void>;
}

function linesOf(file: string): string[] {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
  } catch {
    return [];
  }
}

/** True while `pid` is a live process whose command line mentions `marker` (so a reused pid is left alone). */
function runningWith(pid: number, marker: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
  } catch {
    return false;
  }
}

export async function createStandInEngines(
  initial: StandInControl = { mode: 'trace' },
): Promise<StandInEngines> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dw-stand-in-'));
  const script = await fs.readFile(SCRIPT, 'utf8');
  for (const name of ENGINE_NAMES) await fs.writeFile(path.join(dir, name), script, { mode: 0o755 });
  await fs.symlink(process.execPath, path.join(dir, 'node'));
  await fs.writeFile(path.join(dir, 'stand-in.json'), JSON.stringify({ fixtures: ENGINE_OUTPUT_DIR }));
  const release = path.join(dir, 'release');
  const control = async (c: StandInControl) => {
    // A new hold holds again, whatever an earlier release() let through.
    if (c.hold === true) await fs.rm(release, { force: true });
    await fs.writeFile(path.join(dir, 'control.json'), JSON.stringify(c));
  };
  await control(initial);

  const calls = () => linesOf(path.join(dir, 'calls.ndjson')).map((l) => JSON.parse(l) as StandInCall);
  const childPids = () => linesOf(path.join(dir, 'children')).map(Number);
  return {
    dir,
    env: { PATH: `${dir}${path.delimiter}${process.env.PATH ?? ''}` },
    runner: (binary, args, options) => runTool(path.join(dir, binary), args, options),
    control,
    release: () => fs.writeFile(release, ''),
    calls,
    traces: () => calls().filter((c) => c.mode !== 'version'),
    childPids,
    async remove() {
      for (const pid of [...calls().map((c) => c.pid), ...childPids()]) {
        if (runningWith(pid, dir)) process.kill(pid, 'SIGKILL');
      }
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

/** Whether `pid` is a live process: it exists and is not a zombie waiting for whoever adopted it to reap it. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    // /proc/PID/stat: "pid (comm) STATE ...", the state right after the closing parenthesis.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch (err) {
    // Gone between the two looks (ENOENT), or no /proc here: then signal 0 had the last word.
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}
