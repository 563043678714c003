/**
 * The agent's command line, one for both ways it is started: `detourwatch-agent` (the package the
 * coordinator serves, built from this file by bin/build-agent.js) and `detourwatch agent` in a clone
 * (cli/agent.ts runs `runAgent`). Side-effect free: the bundle's entry calls `main`.
 */
import os from 'node:os';
import type { Writable } from 'node:stream';
import { DetourwatchError, describeError } from '../protocol/errors.ts';
import { AGENT_VERSION, PROTOCOL_VERSION } from '../protocol/version.ts';
import { Agent } from './agent.ts';
import { parseAgentConfig, TOKEN_ENV } from './config.ts';
import { chooseEngine, detectEngines } from './engines/detect.ts';
import { createLogger } from './log.ts';
import { engineProbe } from './probe.ts';

export interface AgentIo {
  stdout: Writable;
  /** The log: one line per event. */
  stderr: Writable;
}

/** The package's command name. */
export const AGENT_PROGRAM = 'detourwatch-agent';

/** The help text, under the name the agent was started by (`detourwatch agent` or `detourwatch-agent`). */
export function agentUsage(program: string): string {
  return `Usage: ${program} --server URL [options]

Runs a volunteer probe: connects out to a detourwatch coordinator, traceroutes the targets it is given and
sends the results back. Nothing listens on this machine.

Options:
  --server URL             the coordinator, e.g. ws://coordinator.example:8080 (http:// works too)
  --token TOKEN            the agent token from the coordinator's operator; better: set ${TOKEN_ENV}
                           so the token does not show in \`ps\`
  --location LAT,LON       where this machine is, in decimal degrees (e.g. 37.77,-122.42); sharpens the
                           speed-of-light tests
  --max-concurrent N       traces run at the same time (default 2)
  --max-per-minute N       traces started in any minute (default 30)
  --engine NAME            auto (default: scamper, else mtr, else traceroute), scamper, mtr or traceroute
  --outbox DIR             where finished results wait until the coordinator confirms it stored them
                           (default $XDG_STATE_HOME/detourwatch/outbox, else ~/.local/state/detourwatch/outbox)
  --allow-special-targets  also trace private, loopback and documentation addresses (tests and labs only)
  --version                print the agent's version

Logs go to stderr, one line per event. SIGTERM or Ctrl-C stops cleanly (a second Ctrl-C stops at once);
results not yet confirmed stay in the outbox and are sent on the next start.`;
}

/** Runs the agent until it is stopped (0) or refused; throws DetourwatchError for what the volunteer must fix. */
export async function runAgent(
  args: readonly string[],
  io: AgentIo,
  program = AGENT_PROGRAM,
): Promise<number> {
  const config = parseAgentConfig(args, process.env, os.homedir(), program);
  const log = createLogger(io.stderr);
  const available = await detectEngines();
  const engine = chooseEngine(config.engine, available);
  log.info('starting', {
    version: AGENT_VERSION,
    protocol: PROTOCOL_VERSION,
    engine,
    available: available.join(',') || 'none',
    maxConcurrent: config.limits.maxConcurrent,
    maxPerMinute: config.limits.maxPerMinute,
    allowSpecialTargets: config.allowSpecialTargets,
  });
  const agent = await Agent.create({
    config,
    // Announce the engine in use first; a forced engine is the only one this agent will run.
    engines: config.engine === 'auto' ? [engine, ...available.filter((e) => e !== engine)] : [engine],
    probe: engineProbe(engine, config.allowSpecialTargets),
    log,
  });
  const onSignal = () => agent.stop();
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    await agent.run();
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
  return 0;
}

/** The package's single error boundary: every failure ends as `detourwatch-agent: CODE: message` and a status. */
export async function main(argv: readonly string[], io: AgentIo = process): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(`${agentUsage(AGENT_PROGRAM)}\n`);
    return 0;
  }
  if (argv.includes('--version')) {
    io.stdout.write(`${AGENT_VERSION}\n`);
    return 0;
  }
  try {
    return await runAgent(argv, io);
  } catch (err) {
    io.stderr.write(`${AGENT_PROGRAM}: ${describeError(err)}\n`);
    if (process.env.DETOURWATCH_DEBUG && err instanceof Error) io.stderr.write(`${err.stack}\n`);
    return err instanceof DetourwatchError && err.code === 'USAGE' ? 2 : 1;
  }
}
