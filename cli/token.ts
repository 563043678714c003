import { DetourwatchError } from '../protocol/errors.ts';
import { readOptions } from '../server/config/read-options.ts';
import { dataDirFrom } from '../server/config/serve-config.ts';
import { openSqliteStore } from '../server/store/sqlite-store.ts';
import type { Store, TokenRecord } from '../server/store/store.ts';
import { generateToken, hashToken } from '../server/store/tokens.ts';
import type { CliIo, Command } from './io.ts';

const USAGE = `Usage:
  detourwatch token create --name NAME [--data DIR]   a new agent token (printed once, on the last line)
  detourwatch token list [--data DIR]                 every token: id, name, created, revoked
  detourwatch token revoke ID [--data DIR]            refuse that token from now on

--data is the coordinator's data directory (the same as \`serve --data\`; default ./data, or DETOURWATCH_DATA).
The coordinator stores only a hash of each token: a lost token cannot be shown again, create another.`;

const OPTIONS = {
  name: { type: 'string' },
  data: { type: 'string', env: 'DETOURWATCH_DATA' },
} as const;

function usage(problem: string): DetourwatchError {
  return new DetourwatchError('USAGE', `${problem}\n\n${USAGE}`);
}

/** A name an operator will read in lists and logs: printable, one line. */
function checkName(raw: string | true | undefined): string {
  if (typeof raw !== 'string') throw usage('token create needs --name NAME (who or where the agent is)');
  const name = raw.trim();
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
  if (name === '' || name.length > 100 || /[\x00-\x1f\x7f]/.test(name)) {
    throw usage('--name must be 1 to 100 printable characters on one line');
  }
  return name;
}

function table(tokens: TokenRecord[]): string[] {
  const rows = tokens.map((t) => [String(t.id), t.name, t.createdAt, t.revokedAt ?? '-']);
  const all = [['ID', 'NAME', 'CREATED', 'REVOKED'], ...rows];
  const widths = all[0]?.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length))) ?? [];
  return all.map((r) =>
    r
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}

async function withStore<T>(dataDir: string, create: boolean, use: (store: Store) => Promise<T>): Promise<T> {
  const store = openSqliteStore({ dataDir, create });
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

export const tokenCommand: Command = {
  name: 'token',
  summary: 'create, list or revoke agent tokens',
  usage: USAGE,
  async run(args: string[], io: CliIo): Promise<number> {
    const [sub, ...rest] = args;
    const say = (line: string) => io.stdout.write(`${line}\n`);
    const idArg =
      sub === 'revoke' && rest[0] !== undefined && !rest[0].startsWith('-') ? rest.shift() : undefined;
    const { values, problems } = readOptions(OPTIONS, rest, process.env);
    if (problems.length > 0) throw usage(problems.join('\n'));
    const dataDir = dataDirFrom(values.data);
    switch (sub) {
      case 'create': {
        const name = checkName(values.name);
        const token = generateToken();
        const record = await withStore(dataDir, true, (store) =>
          store.createToken(name, hashToken(token), new Date().toISOString()),
        );
        say(`Created token #${record.id} for "${record.name}" in ${dataDir}.`);
        say('It is shown only now (the coordinator keeps only its hash). The volunteer runs:');
        say('  npx detourwatch agent --server ws://COORDINATOR:PORT --token TOKEN');
        say('The token:');
        say(token);
        return 0;
      }
      case 'list': {
        if (values.name !== undefined) throw usage('token list takes no --name');
        const tokens = await withStore(dataDir, false, (store) => store.listTokens());
        if (tokens.length === 0) say('no tokens yet: detourwatch token create --name NAME');
        else for (const line of table(tokens)) say(line);
        return 0;
      }
      case 'revoke': {
        if (values.name !== undefined) throw usage('token revoke takes no --name');
        if (idArg === undefined || !/^\d{1,15}$/.test(idArg))
          throw usage('token revoke needs the token ID from `token list`');
        const id = Number(idArg);
        const outcome = await withStore(dataDir, false, (store) =>
          store.revokeToken(id, new Date().toISOString()),
        );
        if (outcome === 'not-found')
          throw new DetourwatchError('NOT_FOUND', `no token #${id} (see \`detourwatch token list\`)`);
        say(
          outcome === 'revoked'
            ? `revoked token #${id}; a running coordinator disconnects its agent at the next heartbeat`
            : `token #${id} was already revoked`,
        );
        return 0;
      }
      default:
        throw usage(sub === undefined ? 'token needs a subcommand' : `unknown subcommand "${sub}"`);
    }
  },
};
