import { DetourwatchError } from '../../protocol/errors.ts';
import { runTool, type ToolFailure, type ToolRunner } from './exec.ts';
import { ENGINES } from './registry.ts';
import { ENGINE_NAMES, type EngineName } from './types.ts';

const VERSION_TIMEOUT_MS = 5_000;
const VERSION_MAX_BUFFER = 64 * 1024;

async function engineRuns(name: EngineName, runner: ToolRunner): Promise<boolean> {
  const spec = ENGINES[name];
  let said: string;
  try {
    const out = await runner(spec.binary, spec.versionArgs, {
      timeoutMs: VERSION_TIMEOUT_MS,
      maxBuffer: VERSION_MAX_BUFFER,
    });
    said = out.stdout + out.stderr;
  } catch (err) {
    // A non-zero exit still proves the binary runs when it printed its version (scamper -v exits 255).
    const failure = err as ToolFailure;
    said = `${failure.stdout ?? ''}${failure.stderr ?? ''}`;
  }
  return spec.versionPattern.test(said);
}

/** The engines whose binary is on PATH and answers its version flag like the tool the agent expects. */
export async function detectEngines(runner: ToolRunner = runTool): Promise<EngineName[]> {
  const runs = await Promise.all(ENGINE_NAMES.map((name) => engineRuns(name, runner)));
  return ENGINE_NAMES.filter((_, i) => runs[i]);
}

/**
 * Picks the engine to use. `auto` prefers scamper (Paris traceroute: flow-stable paths), then mtr, then
 * classic traceroute. A named engine that is not available is an error, not a silent substitution.
 */
export function chooseEngine(preference: 'auto' | EngineName, available: readonly EngineName[]): EngineName {
  if (preference !== 'auto') {
    if (available.includes(preference)) return preference;
    throw new DetourwatchError(
      'ENGINE_MISSING',
      `engine ${preference} was asked for but is not available (found: ${available.join(', ') || 'none'}); ` +
        `install it (Debian package ${preference === 'mtr' ? 'mtr-tiny' : preference}) or choose "auto"`,
    );
  }
  const found = ENGINE_NAMES.find((name) => available.includes(name));
  if (found === undefined) {
    throw new DetourwatchError(
      'ENGINE_MISSING',
      'no traceroute engine found: install scamper (preferred), mtr-tiny or traceroute (apt-get install scamper)',
    );
  }
  return found;
}
