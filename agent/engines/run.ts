import { DetourwatchError } from '../../protocol/errors.ts';
import { MAX_MESSAGE_BYTES } from '../../protocol/messages.ts';
import type { IpVersion } from '../../protocol/trace.ts';
import { describeToolFailure, runTool, type ToolRunner } from './exec.ts';
import { ENGINES } from './registry.ts';
import { type HostLookup, resolveTarget, systemLookup } from './resolve.ts';
import type { EngineName, EngineResult, ProbeProtocol } from './types.ts';

/**
 * Largest output kept from one trace (a 255-hop scamper trace with 3 replies a hop is under 200 KB), leaving room
 * in one protocol frame for the result's other fields.
 */
const MAX_OUTPUT_BYTES = MAX_MESSAGE_BYTES - 64 * 1024;
const DEFAULT_MAX_HOPS = 30;

export interface RunTraceOptions {
  /** Whole-task budget: name resolution plus the tool run. The tool is killed when it runs out. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Highest TTL probed, 1 to 255 (default 30). */
  maxHops?: number;
  /** Trace private, loopback, documentation... targets too. Only tests and the namespace lab set this. */
  allowSpecialTargets?: boolean;
  /** Probe protocol (default ICMP: scamper icmp-paris, mtr and traceroute -I ICMP echo). */
  protocol?: ProbeProtocol;
  /** Address family for hostname targets; an address target of the other family is refused. */
  ipVersion?: IpVersion;
}

export interface RunTraceDeps {
  /** Runs the binary; a lab swaps in one that prefixes `ip netns exec <ns>`. */
  runner?: ToolRunner;
  lookup?: HostLookup;
}

function checkOptions(options: RunTraceOptions, maxHops: number): void {
  if (!Number.isInteger(maxHops) || maxHops < 1 || maxHops > 255) {
    throw new DetourwatchError('CONFIG_INVALID', `maxHops must be an integer from 1 to 255, got ${maxHops}`);
  }
  if (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0) {
    throw new DetourwatchError(
      'CONFIG_INVALID',
      `timeoutMs must be a positive number, got ${options.timeoutMs}`,
    );
  }
}

/**
 * Traces one target with one engine: validates and resolves the target, runs the tool with an argument array
 * (never a shell), bounded in time and output, killed on abort, and checks that it printed a trace.
 * Throws DetourwatchError: TARGET_REFUSED, ENGINE_MISSING or ENGINE_FAILED (with the tool's first error line).
 */
export async function runTrace(
  engine: EngineName,
  target: string,
  options: RunTraceOptions,
  deps: RunTraceDeps = {},
): Promise<EngineResult> {
  const spec = ENGINES[engine];
  const maxHops = options.maxHops ?? DEFAULT_MAX_HOPS;
  const protocol = options.protocol ?? 'icmp';
  checkOptions(options, maxHops);
  if (options.signal?.aborted) {
    throw new DetourwatchError('ENGINE_FAILED', `${spec.binary} was not started: the task was cancelled`);
  }
  const began = Date.now();
  const resolved = await resolveTarget(
    target,
    {
      ipVersion: options.ipVersion,
      allowSpecialTargets: options.allowSpecialTargets ?? false,
      timeoutMs: options.timeoutMs,
      signal: options.signal,
    },
    deps.lookup ?? systemLookup,
  );
  const runOptions = {
    // Resolution took part of the budget; the tool gets the rest (at least a moment, so it can fail cleanly).
    timeoutMs: Math.max(1, options.timeoutMs - (Date.now() - began)),
    signal: options.signal,
    maxBuffer: MAX_OUTPUT_BYTES,
  };
  const startedAt = new Date();
  let stdout: string;
  try {
    ({ stdout } = await (deps.runner ?? runTool)(
      spec.binary,
      spec.args(resolved, { maxHops, protocol }),
      runOptions,
    ));
  } catch (err) {
    throw describeToolFailure(spec.binary, err, runOptions);
  }
  spec.checkOutput(stdout);
  return {
    engine,
    format: spec.format,
    method: spec.method(protocol),
    address: resolved.address,
    output: stdout,
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
  };
}
