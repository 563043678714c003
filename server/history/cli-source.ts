import { DetourwatchError } from '../../protocol/errors.ts';
import { dataDirFrom } from '../config/serve-config.ts';
import { openStore } from '../store/open-store.ts';
import type { HistorySource } from './history-source.ts';
import { localHistorySource } from './local-source.ts';
import { ParameterError } from './parameter-error.ts';
import { remoteHistorySource } from './remote-source.ts';

/**
 * The history a command reads: a coordinator's API with --server (or DETOURWATCH_SERVER), otherwise the
 * store under --data (or DETOURWATCH_DATA, or ./data), the same directory `serve` writes.
 */
export async function openCliSource(
  options: { data?: string | undefined; server?: string | undefined },
  env: Record<string, string | undefined>,
): Promise<HistorySource> {
  if (options.data !== undefined && options.server !== undefined) {
    throw new DetourwatchError('USAGE', 'give --data or --server, not both');
  }
  const server = options.server ?? (options.data === undefined ? env.DETOURWATCH_SERVER : undefined);
  if (server !== undefined && server !== '') return remoteHistorySource(server);
  const store = await openStore({
    dataDir: dataDirFrom(options.data ?? env.DETOURWATCH_DATA),
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
