/** The tools the agent can run: named once, in the wire contract the coordinator validates against. */
import type { EngineName } from '../../protocol/messages.ts';
import type { IpVersion, ProbeMethod } from '../../protocol/trace.ts';

export { ENGINE_NAMES, type EngineName } from '../../protocol/messages.ts';

/** The parser format that reads an engine's output (see server/parse). */
export type EngineFormat = 'scamper' | 'mtr' | 'traceroute';

/** Which probes to send. ICMP echo is answered by more destinations; UDP is the classic alternative. */
export type ProbeProtocol = 'icmp' | 'udp';

/** A target that passed validation and resolution: the tools are given this address, never the user's text. */
export interface ResolvedTarget {
  address: string;
  version: IpVersion;
}

/** Probes per TTL: three replies per hop give a minimum RTT that is worth something for the physics test. */
export const PROBES_PER_HOP = 3;

/** Seconds to wait for a reply: enough for any terrestrial path, short enough to keep a trace to seconds. */
export const REPLY_WAIT_SECONDS = 1;

/** Settings shared by every engine's command line. */
export interface ProbeSettings {
  maxHops: number;
  protocol: ProbeProtocol;
}

export interface EngineResult {
  engine: EngineName;
  format: EngineFormat;
  /** How the probes were sent, as the engine was told to send them. */
  method: ProbeMethod;
  /** The address actually traced (a hostname target is resolved first). */
  address: string;
  /** The tool's standard output, unchanged. */
  output: string;
  startedAt: string;
  durationMs: number;
}

/** What run.ts needs to know about one engine: a pure description, no I/O. */
export interface EngineSpec {
  name: EngineName;
  binary: string;
  format: EngineFormat;
  /** Arguments that make the binary print its version: proves it exists and runs. */
  versionArgs: readonly string[];
  /** What that version output looks like (scamper -v exits 255, so the exit code proves nothing). */
  versionPattern: RegExp;
  method(protocol: ProbeProtocol): ProbeMethod;
  args(target: ResolvedTarget, settings: ProbeSettings): string[];
  /** Throws DetourwatchError('ENGINE_FAILED') when the output is not what this tool prints for a trace. */
  checkOutput(output: string): void;
}
