import os from 'node:os';
import { Agent } from '../agent/agent.ts';
import { parseAgentConfig, TOKEN_ENV } from '../agent/config.ts';
import { chooseEngine, detectEngines } from '../agent/engines/detect.ts';
import { createLogger } from '../agent/log.ts';
import { engineProbe } from '../agent/probe.ts';
import { AGENT_VERSION, PROTOCOL_VERSION } from '../protocol/version.ts';
import type { Command } from './io.ts';

const usage = `Usage: detourwatch agent --server URL [options]

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

Logs go to stderr, one line per event. SIGTERM or Ctrl-C stops cleanly (a second Ctrl-C stops at once);
results not yet confirmed stay in the outbox and are sent on the next start.`;

export const agentCommand: Command = {
  name: 'agent',
  summary: 'run a volunteer probe that traces targets for a coordinator',
  usage,
  async run(args, io) {
    const config = parseAgentConfig(args, process.env, os.homedir());
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
  },
};
