import { DetourwatchError } from '../protocol/errors.ts';
import { type OptionSpecs, readOptions } from '../protocol/options.ts';
import { parseIntIn } from '../protocol/values/number.ts';
import { badValue, quote } from '../protocol/values/quote.ts';
import { dataDirFrom } from '../server/config/serve-config.ts';
import { openStore } from '../server/store/open-store.ts';
import { generateToken, hashToken } from '../server/store/tokens.ts';
import type { CliIo, Command } from './io.ts';
import { tableLines } from './text-table.ts';

const USAGE = `Usage:
  detourwatch token create --name NAME [--data DIR]   a new agent token (printed once, on the last line)
  detourwatch token list [--data DIR]                 every token: id, name, created, revoked
  detourwatch token revoke ID [--data DIR]            refuse that token from now on

--data is the coordinator's data directory (the same as \`serve --data\`; default ./data, or DETOURWATCH_DATA).
The coordinator stores only a hash of each token: a lost token cannot be shown again, create another.`;

/** A name an operator will read in lists and logs: printable, one line. */
function parseName(text: string): string {
  const name = text.trim();
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
  if (name === '' || name.length > 100 || /[\x00-\x1f\x7f]/.test(name)) {
    throw badValue(`${quote(text)} is not a name: use 1 to 100 printable characters on one line`);
  }
  return name;
}

const TOKEN_OPTIONS = {
  name: { type: 'string', parse: parseName },
  data: { type: 'string', env: 'DETOURWATCH_DATA' },
} as const satisfies OptionSpecs;

const SUBCOMMANDS = ['create', 'list', 'revoke'];

function table(
  tokens: readonly { id: number; name: string; createdAt: string; revokedAt: string | null }[],
): string[] {
  return tableLines(
    ['ID', 'NAME', 'CREATED', 'REVOKED'],
    tokens.map((t) => [String(t.id), t.name, t.createdAt, t.revokedAt ?? '-']),
  );
}

type TokenStore = Awaited<ReturnType<typeof openStore>>;

async function withStore<T>(
  dataDir: string,
  create: boolean,
  use: (store: TokenStore) => Promise<T>,
): Promise<T> {
  const store = await openStore({ dataDir, create });
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
    const { values, positionals, problems, source } = readOptions(TOKEN_OPTIONS, args, process.env, {
      allowPositionals: true,
    });
    const [sub, idText, ...extra] = positionals;
    const say = (line: string) => io.stdout.write(`${line}\n`);
    if (sub === undefined) problems.add('token needs a subcommand: create, list or revoke');
    else if (!SUBCOMMANDS.includes(sub))
      problems.add(`unknown subcommand ${quote(sub)} (create, list or revoke)`);
    if (sub === 'create' && source('name') === null)
      problems.add('token create needs --name NAME (who or where the agent is)');
    if ((sub === 'list' || sub === 'revoke') && source('name') !== null)
      problems.add(`token ${sub} takes no --name`);
    let id: number | undefined;
    if (sub === 'revoke') {
      if (idText === undefined) problems.add('token revoke needs the token ID from `token list`');
      else id = problems.check('ID', () => parseIntIn(idText, 1, Number.MAX_SAFE_INTEGER));
    }
    const stray = sub === 'revoke' ? extra : [idText, ...extra].filter((a) => a !== undefined);
    for (const arg of stray) problems.add(`unexpected argument ${quote(arg)}`);
    problems.throwIfAny('token');
    const dataDir = dataDirFrom(values.data);
    switch (sub) {
      case 'create': {
        const name = values.name as string;
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
        const tokens = await withStore(dataDir, false, (store) => store.listTokens());
        if (tokens.length === 0) say('no tokens yet: detourwatch token create --name NAME');
        else for (const line of table(tokens)) say(line);
        return 0;
      }
      case 'revoke': {
        const outcome = await withStore(dataDir, false, (store) =>
          store.revokeToken(id as number, new Date().toISOString()),
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
        // Refused above; here only so that every path returns.
        throw new DetourwatchError('USAGE', `unknown subcommand ${quote(String(sub))}`);
    }
  },
};
