import { DetourwatchError, describeError } from '../../protocol/errors.ts';
import type { ApiErrorBody } from '../../protocol/history-api.ts';
import type { LocationReport } from '../../protocol/locations-api.ts';
import { createAnalyzer } from '../analyze/pipeline.ts';
import { dataDirFrom } from '../config/serve-config.ts';
import { openStore } from '../store/open-store.ts';
import { parseDatabaseUrl } from '../store/pg/database-url.ts';
import type { Store } from '../store/store.ts';
import { type LocationReader, locationReader } from './location-reader.ts';

/** Where `detourwatch locations` reads: a store (with the databases it is judged with here) or a coordinator. */
export interface LocationSource extends LocationReader {
  /** The open store for subcommands that write or list locally; null when reading a coordinator's API. */
  readonly store: Store | null;
  /** The coordinator's base URL with --server; null when reading a store. */
  readonly server: URL | null;
  close(): Promise<void>;
}

export interface LocationSourceOptions {
  data?: string | undefined;
  database?: string | undefined;
  server?: string | undefined;
  /** The analysis a local report uses (as `analyze` and `serve` take them). */
  cityDb?: string | undefined;
  asnDb?: string | undefined;
  homeCountry?: string | undefined;
  kmPerMs?: number | undefined;
}

const TIMEOUT_MS = 30_000;

function serverUrl(server: string): URL {
  let base: URL;
  try {
    base = new URL(server);
  } catch {
    throw new DetourwatchError(
      'USAGE',
      `--server must be the coordinator's URL, like http://127.0.0.1:8080, not "${server}"`,
    );
  }
  if (base.protocol === 'ws:' || base.protocol === 'wss:')
    base.protocol = base.protocol === 'ws:' ? 'http:' : 'https:';
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new DetourwatchError('USAGE', `--server must be an http:// or https:// URL, not "${server}"`);
  }
  return base;
}

/** Reports from a coordinator's API: GET /api/v1/locations/{ip}. */
function remoteReader(base: URL, doFetch: typeof fetch): LocationReader {
  return {
    async report(ip, options = {}) {
      const url = new URL(`/api/v1/locations/${encodeURIComponent(ip)}`, base);
      if (options.hostname) url.searchParams.set('name', options.hostname);
      let res: Response;
      try {
        res = await doFetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
      } catch (err) {
        throw new DetourwatchError(
          'STORE_FAILED',
          `cannot reach the coordinator at ${base.origin}: ${describeError(err)}`,
        );
      }
      const text = await res.text().catch(() => '');
      if (res.ok) return JSON.parse(text) as LocationReport;
      let message = `the coordinator answered ${res.status}`;
      try {
        const e = (JSON.parse(text) as Partial<ApiErrorBody>).error;
        if (e?.message) message = e.message;
      } catch {
        // Not the API's error shape: a proxy or another server answered.
      }
      throw new DetourwatchError(res.status === 400 ? 'USAGE' : 'STORE_FAILED', message);
    },
  };
}

/**
 * --server URL (or DETOURWATCH_SERVER) reads a coordinator's API; otherwise the store under --data (or
 * DETOURWATCH_DATA, or ./data) or --database (or DETOURWATCH_DATABASE_URL), opened without creating anything,
 * with the databases given here (the embedded ones by default). A flag wins over every variable.
 */
export async function openLocationSource(
  options: LocationSourceOptions,
  env: Record<string, string | undefined>,
  doFetch: typeof fetch = fetch,
): Promise<LocationSource> {
  const given = [options.data, options.database, options.server].filter((o) => o !== undefined);
  if (given.length > 1)
    throw new DetourwatchError('USAGE', 'give --data, --database or --server, not several');
  const server = given.length === 0 ? env.DETOURWATCH_SERVER : options.server;
  if (server !== undefined && server !== '') {
    const base = serverUrl(server);
    return { ...remoteReader(base, doFetch), store: null, server: base, close: async () => {} };
  }
  const analyzer = createAnalyzer({
    ...(options.cityDb === undefined ? {} : { cityDb: options.cityDb }),
    ...(options.asnDb === undefined ? {} : { asnDb: options.asnDb }),
    ...(options.homeCountry === undefined ? {} : { homeCountry: options.homeCountry }),
    ...(options.kmPerMs === undefined ? {} : { kmPerMs: options.kmPerMs }),
  });
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
  const provenance = analyzer.provenance();
  const reader = locationReader({
    store,
    locate: analyzer.locate,
    home: new Set(provenance.homeCountries),
    kmPerMs: provenance.kmPerMs,
  });
  return { ...reader, store, server: null, close: () => store.close() };
}
