import { userInfo } from 'node:os';
import { DetourwatchError } from '../protocol/errors.ts';
import type { AgentLocationItem } from '../protocol/history-api.ts';
import { type OptionSpecs, readOptions } from '../protocol/options.ts';
import { badValue, quote } from '../protocol/values/quote.ts';
import { DATABASE_OPTION, dataDirFrom, refuseDataWithDatabase } from '../server/config/serve-config.ts';
import { openStore } from '../server/store/open-store.ts';
import type { CliIo, Command } from './io.ts';
import { tableLines } from './text-table.ts';

const USAGE = `Usage:
  detourwatch agents list [--data DIR | --database URL]              every agent with its location status
  detourwatch agents show ID [--json] [--data DIR | --database URL]  where the agent claims to be, the status
                                                                     (verified, unverified, contradicted) and
                                                                     the evidence with its numbers
  detourwatch agents verify ID --note TEXT [--by WHO] [--data DIR | --database URL]
                                                                     an operator's override: verified, recorded
                                                                     with who (default: your user name), when
                                                                     and why; a running coordinator applies it
                                                                     within seconds

A location is checked, not believed: RTTs from the agent to its first public hops, to other verified agents
(the mesh) and to landmarks bound where it can be (server/trust/vantage.ts). Traces from a contradicted agent
never count as detours; an unverified agent's detours do not count as verified witnesses. Each agent's
implausible traces (no real tool prints them) are counted; when many of its recent traces are, its own
readings cannot verify it.`;

/** A note or a name an operator will read: printable, one line. */
function parseText(text: string): string {
  const value = text.trim();
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
  if (value === '' || value.length > 1000 || /[\x00-\x1f\x7f]/.test(value)) {
    throw badValue(`${quote(text)}: use 1 to 1000 printable characters on one line`);
  }
  return value;
}

const AGENTS_OPTIONS = {
  note: { type: 'string', parse: parseText },
  by: { type: 'string', parse: parseText },
  json: { type: 'boolean', default: false },
  data: { type: 'string', env: 'DETOURWATCH_DATA' },
  database: DATABASE_OPTION,
} as const satisfies OptionSpecs;

const SUBCOMMANDS = ['list', 'show', 'verify'];

function locationLines(location: AgentLocationItem): string[] {
  const lines = [`status:   ${location.status}`, `reason:   ${location.reason}`];
  if (location.override) {
    lines.push(`override: by ${location.override.by} at ${location.override.at}: ${location.override.note}`);
  }
  lines.push(`checked:  ${location.evaluatedAt ?? 'not yet'}`);
  if (location.evidence.length === 0) return [...lines, 'evidence: none yet'];
  return [
    ...lines,
    'evidence:',
    ...tableLines(
      ['KIND', 'WHAT', 'RTT MS', 'WITHIN KM', 'CLAIM KM AWAY', 'CONSISTENT', 'COUNTED'],
      location.evidence.map((e) => [
        e.kind,
        e.label,
        String(e.rttMs),
        String(Math.round(e.boundKm)),
        String(Math.round(e.distanceKm)),
        e.consistent ? 'yes' : 'NO',
        e.counted ? 'yes' : 'no',
      ]),
    ).map((l) => `  ${l}`),
  ];
}

export const agentsCommand: Command = {
  name: 'agents',
  summary: "list agents, show one's location status and evidence, or verify it",
  usage: USAGE,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values, positionals, problems, source } = readOptions(AGENTS_OPTIONS, args, process.env, {
      allowPositionals: true,
    });
    const [sub, id, ...extra] = positionals;
    const say = (line: string) => io.stdout.write(`${line}\n`);
    if (sub === undefined) problems.add('agents needs a subcommand: list, show or verify');
    else if (!SUBCOMMANDS.includes(sub))
      problems.add(`unknown subcommand ${quote(sub)} (list, show or verify)`);
    if ((sub === 'show' || sub === 'verify') && id === undefined)
      problems.add(`agents ${sub} needs the agent ID from \`agents list\``);
    if (sub === 'verify' && source('note') === null)
      problems.add('agents verify needs --note TEXT: why the location is right (it is recorded)');
    if (sub !== 'verify' && (source('note') !== null || source('by') !== null))
      problems.add('--note and --by go with agents verify');
    const stray = sub === 'list' ? [id, ...extra].filter((a) => a !== undefined) : extra;
    for (const arg of stray) problems.add(`unexpected argument ${quote(arg)}`);
    refuseDataWithDatabase({ source, problems });
    problems.throwIfAny('agents');
    const store = await openStore({
      dataDir: dataDirFrom(values.data),
      database: values.database,
      create: false,
    });
    try {
      if (sub === 'list') {
        const vantages = new Map((await store.listVantages()).map((v) => [v.agentId, v]));
        const agents = await store.listAgents();
        const implausible = await store.implausibleCounts();
        if (agents.length === 0) say('no agents yet');
        for (const line of tableLines(
          ['ID', 'NAME', 'OWNER', 'STATUS', 'IMPLAUSIBLE', 'CLAIMS'],
          agents.map((a) => [
            a.id,
            a.name,
            a.owner ?? '-',
            vantages.get(a.id)?.status ?? 'unverified',
            String(implausible.get(a.id) ?? 0),
            a.location === null ? '-' : `${a.location.lat},${a.location.lon}`,
          ]),
        ))
          say(line);
        return 0;
      }
      const agentId = id as string;
      const agent = await store.getAgent(agentId);
      if (!agent)
        throw new DetourwatchError('NOT_FOUND', `no agent with id ${quote(agentId)} (see \`agents list\`)`);
      if (sub === 'verify') {
        const by = values.by ?? userInfo().username;
        const at = Date.now();
        await store.setVantageOverride(agentId, { by, note: values.note as string, at });
        say(`verified ${agent.name} (${agentId}) by ${by} at ${new Date(at).toISOString()}: ${values.note}`);
        say('A running coordinator applies it at its next check (within seconds).');
        return 0;
      }
      const vantage = await store.getVantage(agentId);
      const traces = await store.traceCounts(agentId, 0);
      if (values.json) {
        say(
          JSON.stringify({
            agent,
            implausibleTraces: traces.implausible,
            location: vantage?.location ?? null,
          }),
        );
        return 0;
      }
      say(`agent:    ${agent.name} (${agent.id}), owner ${agent.owner ?? `token:${agent.tokenId}`}`);
      say(
        `claims:   ${agent.location === null ? 'no location' : `${agent.location.lat},${agent.location.lon}`}`,
      );
      say(`traces:   ${traces.traces} stored, ${traces.implausible} implausible`);
      if (vantage === null) say('status:   unverified (not evaluated yet)');
      else for (const line of locationLines(vantage.location)) say(line);
      return 0;
    } finally {
      await store.close();
    }
  },
};
