import type { RouteChangeItem, RouteChangePathItem } from '../protocol/history-api.ts';
import { type OptionSpecs, readOptions } from '../protocol/options.ts';
import { quote } from '../protocol/values/quote.ts';
import { asUsageError, openCliSource } from '../server/history/cli-source.ts';
import { describeUsual } from '../server/incidents/baseline.ts';
import { FILTER_OPTIONS } from './detours.ts';
import type { CliIo, Command } from './io.ts';
import { cellText, renderTable } from './text-table.ts';

const USAGE = `Usage: detourwatch route-changes [options]

Route changes, newest first: each time the AS path of an agent (or import region) and target pair changed.
"new-path": a trace took an AS path other than the pair's usual one, not seen in its recent window;
"new-usual": another path became the usual one (the most frequent over the pair's last 48 judged traces).
BEFORE is the usual path with its share at that moment, AFTER the new one; HOME says whether it left home.

  --since WHEN        changes at or after this time: ISO 8601 or a duration back from now (7d)
  --agent ID          of this agent's pairs
  --target IP         to this destination address
  --limit N           rows (default 50, at most 1000)
  --format F          table (default) or json
  --data DIR          read the store in DIR (default ./data)                    DETOURWATCH_DATA
  --database URL      read a PostgreSQL store (as serve --database)             DETOURWATCH_DATABASE_URL
  --server URL        read a coordinator's API instead                          DETOURWATCH_SERVER`;

const { since, agent, target, limit, format, data, database, server } = FILTER_OPTIONS;
const OPTIONS = {
  since,
  agent,
  target,
  limit,
  format,
  data,
  database,
  server,
} as const satisfies OptionSpecs;

const side = (p: RouteChangePathItem): string => describeUsual(p);

function table(items: RouteChangeItem[]): string {
  return renderTable(
    ['ID', 'AT', 'KIND', 'PAIR', 'TARGET', 'BEFORE', 'AFTER', 'HOME', 'TRACE'],
    items.map((c) => [
      String(c.id),
      c.at,
      c.kind,
      cellText(c.subject, 32),
      cellText(c.target),
      cellText(side(c.before), 48),
      cellText(side(c.after), 48),
      c.leftHome ? `left (${c.after.countries.join(' ')})` : 'stayed',
      String(c.traceId),
    ]),
  );
}

export const routeChangesCommand: Command = {
  name: 'route-changes',
  summary: "list route changes: an agent and target pair's AS path changed, with the usual path before",
  usage: USAGE,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values, positionals, problems } = readOptions(OPTIONS, args, process.env, {
      allowPositionals: true,
    });
    const shown = values.format ?? 'table';
    if (shown !== 'table' && shown !== 'json') problems.add(`--format must be table or json, not "${shown}"`);
    if (positionals.length > 0) problems.add(`unexpected argument ${quote(positionals[0] as string)}`);
    problems.throwIfAny('route-changes');
    const query: Record<string, string> = { limit: values.limit ?? '50' };
    for (const key of ['since', 'agent', 'target'] as const) {
      const v = values[key];
      if (v !== undefined) query[key] = v;
    }
    const source = await openCliSource(values, process.env);
    try {
      const page = await source.routeChanges(query);
      if (shown === 'json') {
        io.stdout.write(
          `${JSON.stringify({ routeChanges: page.items, nextCursor: page.nextCursor }, null, 2)}\n`,
        );
      } else if (page.items.length === 0) {
        io.stdout.write('No route change matches.\n');
      } else {
        io.stdout.write(table(page.items));
        if (page.nextCursor !== null)
          io.stderr.write(`(${page.items.length} shown, more match: raise --limit)\n`);
      }
      return 0;
    } catch (err) {
      throw asUsageError(err);
    } finally {
      await source.close();
    }
  },
};
