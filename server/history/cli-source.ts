import { DetourwatchError } from '../../protocol/errors.ts';
import { dataDirFrom } from '../config/serve-config.ts';
import { openStore } from '../store/open-store.ts';
import { parseDatabaseUrl } from '../store/pg/database-url.ts';
import type { HistorySource } from './history-source.ts';
import { localHistorySource } from './local-source.ts';
import { ParameterError } from './parameter-error.ts';
import { remoteHistorySource } from './remote-source.ts';

/**
 * The history a command reads: a coordinator's API with --server (or DETOURWATCH_SERVER), a PostgreSQL
 * store with --database (or DETOURWATCH_DATABASE_URL), otherwise the store under --data (or
 * DETOURWATCH_DATA, or ./data), the same one `serve` writes. A flag wins over every variable.
 */
export async function openCliSource(
  options: { data?: string | undefined; database?: string | undefined; server?: string | undefined },
  env: Record<string, string | undefined>,
): Promise<HistorySource> {
  const given = [options.data, options.database, options.server].filter((o) => o !== undefined);
  if (given.length > 1) {
    throw new DetourwatchError('USAGE', 'give --data, --database or --server, not several');
  }
  const server = given.length === 0 ? env.DETOURWATCH_SERVER : options.server;
  if (server !== undefined && server !== '') return remoteHistorySource(server);
  const database =
    options.database ??
    (given.length === 0 && (env.DETOURWATCH_DATABASE_URL ?? '') !== ''
      ? env.DETOURWATCH_DATABASE_URL
      : undefined);
  const store = await openStore({
    dataDir: dataDirFrom(options.data ?? env.DETOURWATCH_DATA),
    database: database === undefined ? undefined : parseDatabaseUrl(database),
    create: false,
  });
  return localHistorySource(store, () => store.close());
}

/** The command-line flag an API parameter comes from, for error messages. */
const FLAG_OF: Record<string, string> = { country: '--via', asn: '--via' };

/** A ParameterError as the command line says it: naming the flag, not the API parameter. */
export function asUsageError(err: unknown): unknown {
  if (!(err instanceof ParameterError)) return err;
  const flag = FLAG_OF[err.parameter] ?? `--${err.parameter}`;
  return new DetourwatchError('USAGE', `${flag}: ${err.complaint}`);
}
