import { statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DetourwatchError, describeError } from '../../protocol/errors.ts';
import { tileOrigin } from '../http/static-web.ts';
import { formatDuration, parseDuration } from './duration.ts';
import { type OptionSpec, readOptions } from './read-options.ts';

/** The catalogue shipped with detourwatch, used when the operator gives no --targets. */
export const DEFAULT_TARGETS_FILE = fileURLToPath(
  new URL('../targets/default-us-targets.txt', import.meta.url),
);

export const DEFAULT_DATA_DIR = './data';

/** Everything `detourwatch serve` is configured by, validated. */
export interface ServeConfig {
  host: string;
  port: number;
  /** Absolute. */
  dataDir: string;
  /** The analysis options, left undefined when not given so the analysis pipeline applies its own defaults. */
  cityDb: string | undefined;
  asnDb: string | undefined;
  homeCountry: string | undefined;
  kmPerMs: number | undefined;
  targetsFile: string;
  targetsAreDefault: boolean;
  intervalMs: number;
  schedule: boolean;
  heartbeatMs: number;
  lookUpDocumentation: boolean;
  /** The map's online tile layer (a Leaflet URL template); null: the offline base map only. */
  tileUrl: string | null;
  tileAttribution: string | null;
}

const SERVE_OPTIONS = {
  host: { type: 'string', env: 'DETOURWATCH_HOST' },
  port: { type: 'string', env: 'DETOURWATCH_PORT' },
  data: { type: 'string', env: 'DETOURWATCH_DATA' },
  'city-db': { type: 'string', env: 'DETOURWATCH_CITY_DB' },
  'asn-db': { type: 'string', env: 'DETOURWATCH_ASN_DB' },
  'home-country': { type: 'string', env: 'DETOURWATCH_HOME_COUNTRY' },
  'km-per-ms': { type: 'string', env: 'DETOURWATCH_KM_PER_MS' },
  targets: { type: 'string', env: 'DETOURWATCH_TARGETS' },
  interval: { type: 'string', env: 'DETOURWATCH_INTERVAL' },
  'no-schedule': { type: 'boolean', env: 'DETOURWATCH_NO_SCHEDULE' },
  heartbeat: { type: 'string', env: 'DETOURWATCH_HEARTBEAT' },
  'look-up-documentation': { type: 'boolean', env: 'DETOURWATCH_LOOK_UP_DOCUMENTATION' },
  'tile-url': { type: 'string', env: 'DETOURWATCH_TILE_URL' },
  'tile-attribution': { type: 'string', env: 'DETOURWATCH_TILE_ATTRIBUTION' },
} as const satisfies Record<string, OptionSpec>;

export const SERVE_USAGE = `Usage: detourwatch serve [options]

Runs the coordinator: the HTTP API and the agents' WebSocket endpoint (/api/v1/agent) on one port,
the ingest pipeline and the SQLite store. Every option can also come from the environment variable shown.

  --host HOST          address to listen on (default 127.0.0.1, this machine only; use 0.0.0.0 so
                       agents on other machines can connect)                     DETOURWATCH_HOST
  --port N             port, 0 for any free one (default 8080)                   DETOURWATCH_PORT
  --data DIR           where the database lives (default ${DEFAULT_DATA_DIR})                DETOURWATCH_DATA
  --city-db PATH       a GeoIP2/GeoLite2 City .mmdb (default: the embedded GeoLite2 City)
                                                                                 DETOURWATCH_CITY_DB
  --asn-db PATH        an ASN database (default: the embedded one)               DETOURWATCH_ASN_DB
  --home-country CC    the country whose domestic paths are watched (default US) DETOURWATCH_HOME_COUNTRY
  --km-per-ms N        distance bound per millisecond of RTT (default 100)       DETOURWATCH_KM_PER_MS
  --targets FILE       target list, one IP or hostname per line, # comments; re-read when it changes
                       or on SIGHUP (default: the shipped catalogue of US hosts) DETOURWATCH_TARGETS
  --interval DUR       how often each agent traces each target: 90s, 15m, 1h (default 15m)
                                                                                 DETOURWATCH_INTERVAL
  --no-schedule        send no recurring measurements, only those asked for with
                       POST /api/v1/measurements                                 DETOURWATCH_NO_SCHEDULE=1
  --heartbeat DUR      how often agents are pinged (default 15s)                 DETOURWATCH_HEARTBEAT
  --look-up-documentation
                       test networks only: look documentation addresses (192.0.2.0/24, 2001:db8::/32...)
                       up in the databases, as the namespace lab's test database expects
                                                                   DETOURWATCH_LOOK_UP_DOCUMENTATION=1
  --tile-url URL       an online tile layer for the map, e.g. https://tile.example/{z}/{x}/{y}.png
                       (default: none, the offline base map of countries and US states)
                                                                                 DETOURWATCH_TILE_URL
  --tile-attribution TEXT  the attribution the tile provider requires          DETOURWATCH_TILE_ATTRIBUTION`;

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function duration(
  value: string | true | undefined,
  flag: string,
  fallbackMs: number,
  range: [number, number],
  problems: string[],
): number {
  if (typeof value !== 'string') return fallbackMs;
  const ms = parseDuration(value);
  if (ms === null || ms < range[0] || ms > range[1]) {
    problems.push(
      `${flag} must be a duration between ${formatDuration(range[0])} and ${formatDuration(range[1])} (like 90s, 15m, 1h), not "${value}"`,
    );
    return fallbackMs;
  }
  return ms;
}

function file(value: string | true | undefined, flag: string, problems: string[]): string | undefined {
  if (typeof value !== 'string') return undefined;
  const resolved = path.resolve(value);
  if (!isFile(resolved)) problems.push(`${flag} ${value}: no such file`);
  return resolved;
}

/**
 * The one loader of serve's configuration: flags, then DETOURWATCH_* variables, then defaults. Reports every
 * problem in one USAGE error rather than stopping at the first.
 */
export function loadServeConfig(args: string[], env: Record<string, string | undefined>): ServeConfig {
  const { values, problems } = readOptions(SERVE_OPTIONS, args, env);

  const host = typeof values.host === 'string' ? values.host.trim() : '127.0.0.1';
  if (host === '' || /\s/.test(host))
    problems.push(`--host must be an address or host name, not "${values.host}"`);

  let port = 8080;
  if (typeof values.port === 'string') {
    port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port > 65535) {
      problems.push(`--port must be a whole number from 0 to 65535, not "${values.port}"`);
    }
  }

  const dataDir = dataDirFrom(values.data);

  let homeCountry: string | undefined;
  if (typeof values['home-country'] === 'string') {
    homeCountry = values['home-country'].toUpperCase();
    if (!/^[A-Z]{2}$/.test(homeCountry)) {
      problems.push(
        `--home-country must be a two-letter ISO 3166 code like US, not "${values['home-country']}"`,
      );
    }
  }

  let kmPerMs: number | undefined;
  if (typeof values['km-per-ms'] === 'string') {
    kmPerMs = Number(values['km-per-ms']);
    if (values['km-per-ms'].trim() === '' || !Number.isFinite(kmPerMs) || kmPerMs <= 0) {
      problems.push(
        `--km-per-ms must be a positive number of km per millisecond of RTT, not "${values['km-per-ms']}"`,
      );
    }
  }

  const targets = file(values.targets, '--targets', problems);
  const config: ServeConfig = {
    host,
    port,
    dataDir,
    cityDb: file(values['city-db'], '--city-db', problems),
    asnDb: file(values['asn-db'], '--asn-db', problems),
    homeCountry,
    kmPerMs,
    targetsFile: targets ?? DEFAULT_TARGETS_FILE,
    targetsAreDefault: targets === undefined,
    intervalMs: duration(values.interval, '--interval', 15 * 60_000, [1000, 7 * 24 * 3_600_000], problems),
    schedule: values['no-schedule'] !== true,
    heartbeatMs: duration(values.heartbeat, '--heartbeat', 15_000, [100, 3_600_000], problems),
    lookUpDocumentation: values['look-up-documentation'] === true,
    tileUrl: typeof values['tile-url'] === 'string' ? values['tile-url'] : null,
    tileAttribution: typeof values['tile-attribution'] === 'string' ? values['tile-attribution'] : null,
  };
  if (config.tileUrl !== null) {
    try {
      tileOrigin(config.tileUrl);
    } catch (err) {
      problems.push(describeError(err).replace(/^CONFIG_INVALID: /, ''));
    }
  }
  if (problems.length > 0) {
    const list = problems.map((p) => `\n  - ${p}`).join('');
    throw new DetourwatchError('USAGE', `${list}\nRun \`detourwatch serve --help\` for the options.`);
  }
  return config;
}

/** The data directory for commands that share serve's store (`token`): --data, DETOURWATCH_DATA, ./data. */
export function dataDirFrom(value: string | true | undefined): string {
  return path.resolve(typeof value === 'string' && value !== '' ? value : DEFAULT_DATA_DIR);
}
