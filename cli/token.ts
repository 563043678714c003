import { DetourwatchError } from '../protocol/errors.ts';
import { type OptionSpecs, readOptions } from '../protocol/options.ts';
import { parseChoice } from '../protocol/values/choice.ts';
import { parseIntIn } from '../protocol/values/number.ts';
import { badValue, quote } from '../protocol/values/quote.ts';
import { DATABASE_OPTION, dataDirFrom, refuseDataWithDatabase } from '../server/config/serve-config.ts';
import { TOKEN_ROLES, type TokenRecord } from '../server/store/agent-store.ts';
import { type OpenStoreOptions, openStore } from '../server/store/open-store.ts';
import { redactedUrl } from '../server/store/pg/database-url.ts';
import { generateToken, hashToken } from '../server/store/tokens.ts';
import type { CliIo, Command } from './io.ts';
import { tableLines } from './text-table.ts';

const USAGE = `Usage:
  detourwatch token create --name NAME [--owner WHO] [--role agent|operator] [--data DIR | --database URL]
                                                       a new token (printed once, on the last line)
  detourwatch token list [--data DIR | --database URL]                 every token: id, role, name, owner, created, revoked
  detourwatch token revoke ID [--data DIR | --database URL]            refuse that token from now on

--data is the coordinator's data directory (the same as \`serve --data\`; default ./data, or DETOURWATCH_DATA);
--database URL (or DETOURWATCH_DATABASE_URL) names its PostgreSQL database instead (\`serve --database\`).
The coordinator stores only a hash of each token: a lost token cannot be shown again, create another.
--role agent (the default) makes a volunteer's agent token; --role operator an API key for the operators'
requests (Authorization: Bearer KEY): POST /api/v1/measurements, and reads when \`serve --public-read false\`.
--owner names who runs the agent (a person or organisation): agents of one owner are not independent witnesses.`;

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
  owner: { type: 'string', parse: parseName },
  role: { type: 'string', parse: (t: string) => parseChoice(t, TOKEN_ROLES), default: 'agent' },
  data: { type: 'string', env: 'DETOURWATCH_DATA' },
  database: DATABASE_OPTION,
} as const satisfies OptionSpecs;

const SUBCOMMANDS = ['create', 'list', 'revoke'];

function table(tokens: readonly TokenRecord[]): string[] {
  return tableLines(
    ['ID', 'ROLE', 'NAME', 'OWNER', 'CREATED', 'REVOKED'],
    tokens.map((t) => [String(t.id), t.role, t.name, t.owner ?? '-', t.createdAt, t.revokedAt ?? '-']),
  );
}

type TokenStore = Awaited<ReturnType<typeof openStore>>;

async function withStore<T>(
  where: Omit<OpenStoreOptions, 'create'>,
  create: boolean,
  use: (store: TokenStore) => Promise<T>,
): Promise<T> {
  const store = await openStore({ ...where, create });
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
    for (const flag of ['name', 'owner', 'role'] as const) {
      if ((sub === 'list' || sub === 'revoke') && source(flag) !== null)
        problems.add(`token ${sub} takes no --${flag}`);
    }
    let id: number | undefined;
    if (sub === 'revoke') {
      if (idText === undefined) problems.add('token revoke needs the token ID from `token list`');
      else id = problems.check('ID', () => parseIntIn(idText, 1, Number.MAX_SAFE_INTEGER));
    }
    const stray = sub === 'revoke' ? extra : [idText, ...extra].filter((a) => a !== undefined);
    for (const arg of stray) problems.add(`unexpected argument ${quote(arg)}`);
    refuseDataWithDatabase({ source, problems });
    problems.throwIfAny('token');
    const dataDir = dataDirFrom(values.data);
    const where = { dataDir, database: values.database };
    switch (sub) {
      case 'create': {
        const name = values.name as string;
        const role = values.role;
        const token = generateToken();
        const record = await withStore(where, true, (store) =>
          store.createToken(name, hashToken(token), new Date().toISOString(), {
            role,
            owner: values.owner ?? null,
          }),
        );
        const place = values.database === undefined ? dataDir : redactedUrl(values.database);
        const owner = record.owner === null ? '' : ` (owner "${record.owner}")`;
        say(`Created ${role} token #${record.id} for "${record.name}"${owner} in ${place}.`);
        say('It is shown only now (the coordinator keeps only its hash).');
        if (role === 'operator') say('Send it with API requests: Authorization: Bearer TOKEN');
        else say('The volunteer runs: npx detourwatch agent --server ws://COORDINATOR:PORT --token TOKEN');
        say('The token:');
        say(token);
        return 0;
      }
      case 'list': {
        const tokens = await withStore(where, false, (store) => store.listTokens());
        if (tokens.length === 0) say('no tokens yet: detourwatch token create --name NAME');
        else for (const line of table(tokens)) say(line);
        return 0;
      }
      case 'revoke': {
        const outcome = await withStore(where, false, (store) =>
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
