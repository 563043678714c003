import { type OptionSpecs, readOptions } from '../protocol/options.ts';
import { quote } from '../protocol/values/quote.ts';
import { DATABASE_OPTION, dataDirFrom } from '../server/config/serve-config.ts';
import { type CopyProgress, copySqliteToPostgres } from '../server/store/pg/copy-from-sqlite.ts';
import type { CliIo, Command } from './io.ts';
import { tableLines } from './text-table.ts';

const USAGE = `Usage: detourwatch store copy --from DIR --to URL

Copies a SQLite store (the data directory of \`serve --data\`) into an EMPTY PostgreSQL database, ids and
all, so that every query, link and bookmarked URL answers the same on \`serve --database URL\`. It reads
one consistent snapshot (a coordinator may keep running on the SQLite store meanwhile; what it writes
after the snapshot is not copied), writes in one transaction (an interrupted copy leaves the database
empty: run it again), shows its progress on stderr, and ends with the rows of every table on both sides.

  --from DIR    the SQLite data directory (default ./data)                 DETOURWATCH_DATA
  --to URL      postgres://USER@HOST:PORT/DATABASE, empty (password: PGPASSWORD or ~/.pgpass)
                                                                           DETOURWATCH_DATABASE_URL`;

const STORE_OPTIONS = {
  from: { type: 'string', env: 'DETOURWATCH_DATA' },
  to: DATABASE_OPTION,
} as const satisfies OptionSpecs;

/** A progress line per table: rewritten in place on a terminal, one line when a table is done otherwise. */
function progressWriter(io: CliIo): (p: CopyProgress) => void {
  let lastDraw = 0;
  return (p) => {
    const done = p.copied >= p.total;
    const line = `copying ${p.table}: ${p.copied.toLocaleString('en-US')} of ${p.total.toLocaleString('en-US')} rows`;
    if (io.isTty) {
      const now = performance.now();
      if (!done && now - lastDraw < 200) return;
      lastDraw = now;
      io.stderr.write(`\r\x1b[K${line}${done ? '\n' : ''}`);
    } else if (done) {
      io.stderr.write(`${line}\n`);
    }
  };
}

export const storeCommand: Command = {
  name: 'store',
  summary: 'copy a SQLite store into PostgreSQL',
  usage: USAGE,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values, positionals, problems, source } = readOptions(STORE_OPTIONS, args, process.env, {
      allowPositionals: true,
    });
    const [sub, ...extra] = positionals;
    if (sub !== 'copy')
      problems.add(
        sub === undefined ? 'store needs a subcommand: copy' : `unknown subcommand ${quote(sub)} (copy)`,
      );
    for (const arg of extra) problems.add(`unexpected argument ${quote(arg)}`);
    if (source('to') === null) problems.add('store copy needs --to postgres://USER@HOST:PORT/DATABASE');
    problems.throwIfAny('store');
    const from = dataDirFrom(values.from);
    const { counts, target } = await copySqliteToPostgres({
      from,
      to: values.to as string,
      progress: progressWriter(io),
    });
    io.stdout.write(`Copied the SQLite store in ${from} to ${target}; rows per table:\n`);
    const lines = tableLines(
      ['TABLE', 'SQLITE', 'POSTGRESQL'],
      counts.map((c) => [c.table, String(c.sqlite), String(c.postgres)]),
    );
    io.stdout.write(`${lines.join('\n')}\n`);
    io.stdout.write(`Every count matches. Start the coordinator on it: detourwatch serve --database URL\n`);
    return 0;
  },
};
