import { DetourwatchError, describeError } from '../protocol/errors.ts';
import { type CliIo, type Command, processIo } from './io.ts';

/** Commands load lazily: `analyze` should not pay for the coordinator's modules. */
const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  analyze: {
    summary: 'judge traceroute files: domestic, detour, foreign-endpoint or inconclusive',
    load: async () => (await import('./analyze.ts')).analyzeCommand,
  },
  agent: {
    summary: 'run a volunteer probe that traces targets for a coordinator',
    load: async () => (await import('./agent.ts')).agentCommand,
  },
  serve: {
    summary: 'run the coordinator: HTTP API, agent endpoint, ingest and store',
    load: async () => (await import('./serve.ts')).serveCommand,
  },
  token: {
    summary: 'create, list or revoke agent tokens',
    load: async () => (await import('./token.ts')).tokenCommand,
  },
  detours: {
    summary: 'list or export detour verdicts (from the store or a coordinator)',
    load: async () => (await import('./detours.ts')).detoursCommand,
  },
  agents: {
    summary: "list agents, show one's location status and evidence, or verify it",
    load: async () => (await import('./agents.ts')).agentsCommand,
  },
  locations: {
    summary: 'show where the network places a router address, with every claim and constraint',
    load: async () => (await import('./locations.ts')).locationsCommand,
  },
  incidents: {
    summary: 'list detour incidents, or show one with its evidence',
    load: async () => (await import('./incidents.ts')).incidentsCommand,
  },
  'route-changes': {
    summary: "list route changes: an agent and target pair's AS path changed, with the usual path before",
    load: async () => (await import('./route-changes.ts')).routeChangesCommand,
  },
  bundle: {
    summary: 'make or verify signed evidence bundles of incidents and traces',
    load: async () => (await import('./bundle.ts')).bundleCommand,
  },
  import: {
    summary: 'import RIPE Atlas traceroute results into the store',
    load: async () => (await import('./import.ts')).importCommand,
  },
  maintenance: {
    summary: 'add, list or remove maintenance windows that silence alerts for an agent or a target',
    load: async () => (await import('./maintenance.ts')).maintenanceCommand,
  },
  store: {
    summary: 'copy a SQLite store into PostgreSQL',
    load: async () => (await import('./store.ts')).storeCommand,
  },
};

export function helpText(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    'detourwatch: catch US domestic Internet traffic that takes a detour abroad',
    '',
    'Usage: detourwatch <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    "Run `detourwatch <command> --help` for a command's options.",
    '',
  ].join('\n');
}

/** The single error boundary of the command line: every failure ends here as a message and an exit status. */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(helpText());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    const { AGENT_VERSION } = await import('../protocol/version.ts');
    io.stdout.write(`${AGENT_VERSION}\n`);
    return 0;
  }
  const entry = commands[name];
  if (!entry) {
    io.stderr.write(`detourwatch: unknown command "${name}"\n\n${helpText()}`);
    return 2;
  }
  try {
    const command = await entry.load();
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout.write(`${command.usage}\n`);
      return 0;
    }
    return await command.run(rest, io);
  } catch (err) {
    io.stderr.write(`detourwatch ${name}: ${describeError(err)}\n`);
    if (process.env.DETOURWATCH_DEBUG && err instanceof Error) io.stderr.write(`${err.stack}\n`);
    return err instanceof DetourwatchError && err.code === 'USAGE' ? 2 : 1;
  }
}
