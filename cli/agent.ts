import { agentUsage, runAgent } from '../agent/main.ts';
import type { Command } from './io.ts';

/** `detourwatch agent` in a clone: the agent package's own command line, under cli/main.ts's error boundary. */
export const agentCommand: Command = {
  name: 'agent',
  summary: 'run a volunteer probe that traces targets for a coordinator',
  usage: agentUsage('detourwatch agent'),
  run: (args, io) => runAgent(args, io, 'detourwatch agent'),
};
