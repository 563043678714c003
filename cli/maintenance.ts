import { DetourwatchError } from '../protocol/errors.ts';
import { type OptionSpecs, readOptions } from '../protocol/options.ts';
import { parseIntIn } from '../protocol/values/number.ts';
import { quote } from '../protocol/values/quote.ts';
import { maintenanceItem, windowFromRequest } from '../server/alerts/maintenance-windows.ts';
import { DATABASE_OPTION, dataDirFrom, refuseDataWithDatabase } from '../server/config/serve-config.ts';
import { asUsageError } from '../server/history/cli-source.ts';
import { openStore } from '../server/store/open-store.ts';
import type { CliIo, Command } from './io.ts';
import { cellText, tableLines } from './text-table.ts';

const USAGE = `Usage:
  detourwatch maintenance add --agent ID|NAME --from TIME --until TIME|--for DURATION --reason TEXT
  detourwatch maintenance add --target IP[/LEN] ...           the same for a target address or prefix
  detourwatch maintenance list [--all]                         windows running or to come (--all: ended too)
  detourwatch maintenance remove ID                            delete a window

While a maintenance window runs, the alerts of incidents that its agent witnessed, or whose destination is
in its target, with traces measured inside the window are not sent; the delivery record says "silenced by
maintenance window #N (reason)". Detection and incidents go on. A running coordinator sees a new window at
its next alert. The API has the same: GET, POST /api/v1/maintenance, DELETE /api/v1/maintenance/{id}.

  --agent ID|NAME     an agent's id, or its name when only one agent has it
  --target IP[/LEN]   an address (a /32 or /128) or a prefix
  --from TIME         ISO 8601, or a duration back from now (default: now)
  --until TIME        ISO 8601 (2026-05-01T06:00:00Z; without an offset: UTC)
  --for DURATION      instead of --until: 30m, 2h, 1d (at most 90 days)
  --reason TEXT       why, as the alert record will say it (one line, at most 200 characters)
  --data DIR          the coordinator's store (default ./data)                   DETOURWATCH_DATA
  --database URL      a PostgreSQL store instead (as serve --database)           DETOURWATCH_DATABASE_URL`;

const MAINTENANCE_OPTIONS = {
  agent: { type: 'string' },
  target: { type: 'string' },
  from: { type: 'string' },
  until: { type: 'string' },
  for: { type: 'string' },
  reason: { type: 'string' },
  all: { type: 'boolean' },
  data: { type: 'string', env: 'DETOURWATCH_DATA' },
  database: DATABASE_OPTION,
} as const satisfies OptionSpecs;

const SUBCOMMANDS = ['add', 'list', 'remove'];
const WINDOW_FLAGS = ['agent', 'target', 'from', 'until', 'for', 'reason'] as const;

export const maintenanceCommand: Command = {
  name: 'maintenance',
  summary: 'add, list or remove maintenance windows that silence alerts for an agent or a target',
  usage: USAGE,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values, positionals, problems, source } = readOptions(MAINTENANCE_OPTIONS, args, process.env, {
      allowPositionals: true,
    });
    const [sub, idText, ...extra] = positionals;
    const say = (line: string) => io.stdout.write(`${line}\n`);
    if (sub === undefined) problems.add('maintenance needs a subcommand: add, list or remove');
    else if (!SUBCOMMANDS.includes(sub))
      problems.add(`unknown subcommand ${quote(sub)} (add, list or remove)`);
    if (sub !== 'add') {
      for (const flag of WINDOW_FLAGS)
        if (sub !== undefined && source(flag) !== null) problems.add(`maintenance ${sub} takes no --${flag}`);
    }
    if (sub !== 'list' && sub !== undefined && source('all') !== null)
      problems.add(`maintenance ${sub} takes no --all`);
    let id: number | undefined;
    if (sub === 'remove') {
      if (idText === undefined)
        problems.add('maintenance remove needs the window ID from `maintenance list`');
      else id = problems.check('ID', () => parseIntIn(idText, 1, Number.MAX_SAFE_INTEGER));
    }
    const stray = sub === 'remove' ? extra : [idText, ...extra].filter((a) => a !== undefined);
    for (const arg of stray) problems.add(`unexpected argument ${quote(arg)}`);
    refuseDataWithDatabase({ source, problems });
    problems.throwIfAny('maintenance');

    const store = await openStore({
      dataDir: dataDirFrom(values.data),
      database: values.database,
      create: false,
    });
    try {
      const now = Date.now();
      const agents = (await store.listAgents()).map((a) => ({ id: a.id, name: a.name }));
      switch (sub) {
        case 'add': {
          let window: ReturnType<typeof windowFromRequest>;
          try {
            window = windowFromRequest(values, agents, now);
          } catch (err) {
            throw asUsageError(err);
          }
          const stored = maintenanceItem(await store.addMaintenanceWindow(window), agents, now);
          const what = stored.target ?? `agent ${stored.agentName ?? stored.agentId}`;
          say(
            `maintenance window #${stored.id} for ${what}: ${stored.startsAt} to ${stored.endsAt} (${stored.reason})`,
          );
          return 0;
        }
        case 'list': {
          const windows = await store.listMaintenanceWindows(values.all ? null : now);
          if (windows.length === 0) {
            say('no maintenance windows: detourwatch maintenance add --agent NAME --for 2h --reason TEXT');
            return 0;
          }
          const items = windows.map((w) => maintenanceItem(w, agents, now));
          for (const line of tableLines(
            ['ID', 'COVERS', 'FROM', 'UNTIL', 'NOW', 'REASON'],
            items.map((w) => [
              String(w.id),
              cellText(w.target ?? `agent ${w.agentName ?? w.agentId}`, 40),
              w.startsAt,
              w.endsAt,
              w.active ? 'running' : Date.parse(w.endsAt) <= now ? 'ended' : 'to come',
              cellText(w.reason, 60),
            ]),
          ))
            say(line);
          return 0;
        }
        case 'remove': {
          if (!(await store.removeMaintenanceWindow(id as number)))
            throw new DetourwatchError(
              'NOT_FOUND',
              `no maintenance window #${id} (see \`detourwatch maintenance list --all\`)`,
            );
          say(`removed maintenance window #${id}`);
          return 0;
        }
        default:
          throw new DetourwatchError('USAGE', `unknown subcommand ${quote(String(sub))}`);
      }
    } finally {
      await store.close();
    }
  },
};
