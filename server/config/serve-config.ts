import { statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type OptionReading, type OptionSpecs, readOptions } from '../../protocol/options.ts';
import { parseCountryCode } from '../../protocol/values/country.ts';
import { parseDurationIn } from '../../protocol/values/duration.ts';
import { parseIntIn, parsePositiveNumber } from '../../protocol/values/number.ts';
import { badValue, quote } from '../../protocol/values/quote.ts';
import { parseInstanceId } from '../cluster/instance-id.ts';
import { DEFAULT_EVENT_RETENTION_MS, DEFAULT_EVENTS_KEPT } from '../events/event-retention.ts';
import {
  HISTORY_OPTIONS,
  type HistoryConfig,
  historyConfigFrom,
  type ReadFile,
} from '../history/history-options.ts';
import { DEFAULT_TASK_WINDOW_MS } from '../hub/task-check.ts';
import { type BaselineWindow, DEFAULT_BASELINE_WINDOW } from '../incidents/baseline.ts';
import { type Cidr, parseCidr } from '../net/client-address.ts';
import { DEFAULT_REJUDGE, type RejudgeSettings } from '../placement/rejudge.ts';
import { parseResolverAddress } from '../resolve/resolver-address.ts';
import { parseDatabaseUrl } from '../store/pg/database-url.ts';
import { tileOrigin } from './tile-url.ts';

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
  /** A PostgreSQL URL (--database, DETOURWATCH_DATABASE_URL): the store is there instead of under dataDir. */
  database: string | undefined;
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
  /** Reads without an operator key (`--public-read false` closes them). */
  publicRead: boolean;
  /** `--trust-proxy CIDR` (repeatable): proxies whose X-Forwarded-For is believed. */
  trustProxy: Cidr[];
  /** `--tls-cert` and `--tls-key`: HTTPS and wss:// on the same port; null: plain HTTP. */
  tls: { certFile: string; keyFile: string } | null;
  /** Reverse names for agents' hops: false with `--no-resolve`. */
  resolve: boolean;
  /** `--resolver HOST:PORT`, the DNS server asked; undefined: the system's. */
  resolver: string | undefined;
  /** `--analysis-workers N`: threads that parse, geolocate and judge agents' results (issue 17); 0: in-thread. */
  analysisWorkers: number;
  /** `--instance-id`: this coordinator among several on one database; undefined: random at start. */
  instanceId: string | undefined;
  /** `--lease`: how long an agent's lease outlives its coordinator's last renewal. */
  leaseMs: number;
  /** `--task-window`: how long after issue a task may first be answered (an agent offline replays later). */
  taskWindowMs: number;
  /** `--events-keep-days`, `--events-keep-min`: how long GET /api/v1/events can replay, and its floor. */
  events: { retentionMs: number; keep: number };
  /** `--baseline-window`, `--baseline-max-age`: what a pair's usual path is counted over. */
  baselineWindow: BaselineWindow;
  /** `--rejudge-days`, `--rejudge-max`: the traces a location correction judges again. */
  rejudge: RejudgeSettings;
}

/** `--public-read true|false` (also yes/no, on/off, 1/0). */
function parseYesNo(text: string): boolean {
  const t = text.trim().toLowerCase();
  if (['true', 'yes', 'on', '1'].includes(t)) return true;
  if (['false', 'no', 'off', '0'].includes(t)) return false;
  throw badValue(`${quote(text)} is not true or false`);
}

function parseHost(text: string): string {
  const host = text.trim();
  if (host === '' || /\s/.test(host)) throw badValue(`${quote(text)} is not an address or host name`);
  return host;
}

/** Files named at startup must exist now: a typo should stop `serve`, not surface at the first lookup. */
function existingFile(text: string): string {
  const resolved = path.resolve(text);
  let isFile = false;
  try {
    isFile = statSync(resolved).isFile();
  } catch {}
  if (!isFile) throw badValue(`${quote(text)}: no such file`);
  return resolved;
}

function tileUrl(text: string): string {
  tileOrigin(text);
  return text;
}

const DAY = 86_400_000;
const wholeDays = (ms: number): number => Math.round(ms / DAY);

/**
 * `--database URL` (or DETOURWATCH_DATABASE_URL): the store on PostgreSQL; the SQLite store under --data is
 * the default. The same option for every command that opens the store (serve, token, import, detours,
 * incidents, store copy).
 */
export const DATABASE_OPTION = {
  type: 'string',
  env: 'DETOURWATCH_DATABASE_URL',
  parse: parseDatabaseUrl,
} as const satisfies OptionSpecs[string];

/** Both flags name a store: the command could not know which one was meant. */
export function refuseDataWithDatabase(
  reading: Pick<
    OptionReading<{ data: OptionSpecs[string]; database: OptionSpecs[string] }>,
    'source' | 'problems'
  >,
): void {
  if (reading.source('data') === '--data' && reading.source('database') === '--database') {
    reading.problems.add('give --data DIR (SQLite) or --database URL (PostgreSQL), not both');
  }
}

export const SERVE_OPTIONS = {
  host: { type: 'string', env: 'DETOURWATCH_HOST', parse: parseHost, default: '127.0.0.1' },
  port: {
    type: 'string',
    env: 'DETOURWATCH_PORT',
    parse: (t: string) => parseIntIn(t, 0, 65535),
    default: 8080,
  },
  data: { type: 'string', env: 'DETOURWATCH_DATA' },
  database: DATABASE_OPTION,
  'city-db': { type: 'string', env: 'DETOURWATCH_CITY_DB', parse: existingFile },
  'asn-db': { type: 'string', env: 'DETOURWATCH_ASN_DB', parse: existingFile },
  'home-country': { type: 'string', env: 'DETOURWATCH_HOME_COUNTRY', parse: parseCountryCode },
  'km-per-ms': { type: 'string', env: 'DETOURWATCH_KM_PER_MS', parse: parsePositiveNumber },
  targets: { type: 'string', env: 'DETOURWATCH_TARGETS', parse: existingFile },
  interval: {
    type: 'string',
    env: 'DETOURWATCH_INTERVAL',
    parse: (t: string) => parseDurationIn(t, { min: 1000, max: 7 * DAY }),
    default: 15 * 60_000,
  },
  'no-schedule': { type: 'boolean', env: 'DETOURWATCH_NO_SCHEDULE' },
  heartbeat: {
    type: 'string',
    env: 'DETOURWATCH_HEARTBEAT',
    parse: (t: string) => parseDurationIn(t, { min: 100, max: 3_600_000 }),
    default: 15_000,
  },
  'look-up-documentation': { type: 'boolean', env: 'DETOURWATCH_LOOK_UP_DOCUMENTATION' },
  'tile-url': { type: 'string', env: 'DETOURWATCH_TILE_URL', parse: tileUrl, default: null },
  'tile-attribution': { type: 'string', env: 'DETOURWATCH_TILE_ATTRIBUTION', default: null },
  'public-read': { type: 'string', env: 'DETOURWATCH_PUBLIC_READ', parse: parseYesNo, default: true },
  'trust-proxy': { type: 'string', multiple: true, env: 'DETOURWATCH_TRUST_PROXY', parse: parseCidr },
  'tls-cert': { type: 'string', env: 'DETOURWATCH_TLS_CERT', parse: existingFile },
  'tls-key': { type: 'string', env: 'DETOURWATCH_TLS_KEY', parse: existingFile },
  resolver: { type: 'string', env: 'DETOURWATCH_RESOLVER', parse: parseResolverAddress },
  'no-resolve': { type: 'boolean', env: 'DETOURWATCH_NO_RESOLVE' },
  'instance-id': { type: 'string', env: 'DETOURWATCH_INSTANCE_ID', parse: parseInstanceId },
  'analysis-workers': {
    type: 'string',
    env: 'DETOURWATCH_ANALYSIS_WORKERS',
    parse: (t: string) => parseIntIn(t, 0, 64),
    // Off until it pays: on the 2-core reference machine the workers' messages cost the main thread about
    // what they take off it (bench/README.md, issue 17).
    default: 0,
  },
  lease: {
    type: 'string',
    env: 'DETOURWATCH_LEASE',
    parse: (t: string) => parseDurationIn(t, { min: 300, max: 600_000 }),
    default: 20_000,
  },
  // At least a minute (a tool's run and a reconnect), at most 30 days (the tasks table keeps every task).
  'task-window': {
    type: 'string',
    env: 'DETOURWATCH_TASK_WINDOW',
    parse: (t: string) => parseDurationIn(t, { min: 60_000, max: 30 * DAY }),
    default: DEFAULT_TASK_WINDOW_MS,
  },
  'events-keep-days': {
    type: 'string',
    env: 'DETOURWATCH_EVENTS_KEEP_DAYS',
    parse: (t: string) => parseIntIn(t, 1, 3650),
    default: wholeDays(DEFAULT_EVENT_RETENTION_MS),
  },
  'events-keep-min': {
    type: 'string',
    env: 'DETOURWATCH_EVENTS_KEEP_MIN',
    parse: (t: string) => parseIntIn(t, 0, 10_000_000),
    default: DEFAULT_EVENTS_KEPT,
  },
  // Two traces at least: a usual path needs a lead over another (baseline.ts `lead`).
  'baseline-window': {
    type: 'string',
    env: 'DETOURWATCH_BASELINE_WINDOW',
    parse: (t: string) => parseIntIn(t, 2, 10_000),
    default: DEFAULT_BASELINE_WINDOW.traces,
  },
  'baseline-max-age': {
    type: 'string',
    env: 'DETOURWATCH_BASELINE_MAX_AGE',
    parse: (t: string) => parseDurationIn(t, { min: 60_000, max: 3650 * DAY }),
    default: DEFAULT_BASELINE_WINDOW.maxAgeMs,
  },
  'rejudge-days': {
    type: 'string',
    env: 'DETOURWATCH_REJUDGE_DAYS',
    parse: (t: string) => parseIntIn(t, 1, 3650),
    default: wholeDays(DEFAULT_REJUDGE.windowMs),
  },
  'rejudge-max': {
    type: 'string',
    env: 'DETOURWATCH_REJUDGE_MAX',
    parse: (t: string) => parseIntIn(t, 1, 1_000_000),
    default: DEFAULT_REJUDGE.maxTraces,
  },
} as const satisfies OptionSpecs;

/** serve's own configuration from options already read. */
export function serveConfigFrom(values: OptionReading<typeof SERVE_OPTIONS>['values']): ServeConfig {
  const targets = values.targets;
  return {
    host: values.host,
    port: values.port,
    dataDir: dataDirFrom(values.data),
    database: values.database,
    cityDb: values['city-db'],
    asnDb: values['asn-db'],
    homeCountry: values['home-country'],
    kmPerMs: values['km-per-ms'],
    targetsFile: targets ?? DEFAULT_TARGETS_FILE,
    targetsAreDefault: targets === undefined,
    intervalMs: values.interval,
    schedule: !values['no-schedule'],
    heartbeatMs: values.heartbeat,
    lookUpDocumentation: values['look-up-documentation'],
    tileUrl: values['tile-url'],
    tileAttribution: values['tile-attribution'],
    publicRead: values['public-read'],
    trustProxy: values['trust-proxy'],
    tls:
      values['tls-cert'] !== undefined && values['tls-key'] !== undefined
        ? { certFile: values['tls-cert'], keyFile: values['tls-key'] }
        : null,
    resolve: !values['no-resolve'],
    resolver: values.resolver,
    instanceId: values['instance-id'],
    leaseMs: values.lease,
    analysisWorkers: values['analysis-workers'],
    taskWindowMs: values['task-window'],
    events: { retentionMs: values['events-keep-days'] * DAY, keep: values['events-keep-min'] },
    baselineWindow: { traces: values['baseline-window'], maxAgeMs: values['baseline-max-age'] },
    rejudge: { windowMs: values['rejudge-days'] * DAY, maxTraces: values['rejudge-max'] },
  };
}

/**
 * The one loader of serve's configuration: its own options and the history's (incidents, alerts,
 * retention), from flags, then DETOURWATCH_* variables, then defaults; every problem in one USAGE error.
 */
export function loadServeOptions(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  readFile?: ReadFile,
): { config: ServeConfig; history: HistoryConfig } {
  const reading = readOptions({ ...SERVE_OPTIONS, ...HISTORY_OPTIONS }, args, env);
  const history = historyConfigFrom(reading, readFile);
  const config = serveConfigFrom(reading.values);
  refuseDataWithDatabase(reading);
  if ((reading.source('tls-cert') === null) !== (reading.source('tls-key') === null))
    reading.problems.add('--tls-cert and --tls-key go together: give both, or neither for plain HTTP');
  if (reading.source('resolver') !== null && reading.values['no-resolve'])
    reading.problems.add(
      '--resolver names a DNS server for reverse names, --no-resolve asks for none: not both',
    );
  reading.problems.throwIfAny('serve');
  return { config, history };
}

/** serve's own part of the configuration (the benchmarks start the serve stack from it). */
export function loadServeConfig(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ServeConfig {
  return loadServeOptions(args, env).config;
}

/** The data directory for commands that share serve's store (`token`): --data, DETOURWATCH_DATA, ./data. */
export function dataDirFrom(value: string | undefined): string {
  return path.resolve(value !== undefined && value !== '' ? value : DEFAULT_DATA_DIR);
}
