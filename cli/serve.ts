import path from 'node:path';
import { AGENT_PAGE_PATH, AGENT_TARBALL_PATH } from '../protocol/agent-package.ts';
import { formatDuration } from '../protocol/values/duration.ts';
import { AGENT_VERSION, PROTOCOL_VERSION } from '../protocol/version.ts';
import { createAnalyzer } from '../server/analyze/pipeline.ts';
import { DEFAULT_DATA_DIR, loadServeOptions, type ServeConfig } from '../server/config/serve-config.ts';
import {
  type Coordinator,
  reverseDnsSettings,
  serveSettings,
  startCoordinator,
} from '../server/coordinator.ts';
import { openSwappableGeo, type SwappableGeo } from '../server/geo/database-swap.ts';
import type { HistoryConfig } from '../server/history/history-options.ts';
import { COORDINATOR_BUSY_TIMEOUT_MS, openStore } from '../server/store/open-store.ts';
import { redactedUrl } from '../server/store/pg/database-url.ts';
import type { CliIo, Command } from './io.ts';

const USAGE = `Usage: detourwatch serve [options]

Runs the coordinator: the HTTP API and the agents' WebSocket endpoint (/api/v1/agent) on one port,
the ingest pipeline and the SQLite store. Every option can also come from the environment variable shown.
A duration (DUR) is a whole number and a unit: ms, s, m, h, d or w (500ms, 90s, 15m, 2h, 1d).

  --host HOST          address to listen on (default 127.0.0.1, this machine only; use 0.0.0.0 so
                       agents on other machines can connect)                     DETOURWATCH_HOST
  --port N             port, 0 for any free one (default 8080)                   DETOURWATCH_PORT
  --data DIR           where the database lives (default ${DEFAULT_DATA_DIR})                DETOURWATCH_DATA
  --database URL       PostgreSQL instead: postgres://USER@HOST:PORT/DB (password: PGPASSWORD or
                       ~/.pgpass, not the URL, which shows in the process list)  DETOURWATCH_DATABASE_URL
  --city-db PATH       a GeoIP2/GeoLite2 City .mmdb (default: the embedded GeoLite2 City)
                                                                                 DETOURWATCH_CITY_DB
  --asn-db PATH        an ASN database (default: the embedded one)               DETOURWATCH_ASN_DB
                       both are watched (and re-read on SIGHUP): a new file goes into service once it
                       opens, has the right type, a build date no older, and places a probe address
  --home-country CC    the country whose domestic paths are watched (default US) DETOURWATCH_HOME_COUNTRY
  --km-per-ms N        distance bound per millisecond of RTT (default 100)       DETOURWATCH_KM_PER_MS
  --targets FILE       target list, one IP or hostname per line, # comments; re-read when it changes
                       or on SIGHUP (default: the shipped catalogue of US hosts) DETOURWATCH_TARGETS
  --interval DUR       how often each agent traces each target, 1s to 7d: 90s, 15m, 1h (default 15m)
                                                                                 DETOURWATCH_INTERVAL
  --no-schedule        send no recurring measurements, only those asked for with
                       POST /api/v1/measurements                                 DETOURWATCH_NO_SCHEDULE=1
  --heartbeat DUR      how often agents are pinged, 100ms to 1h (default 15s)    DETOURWATCH_HEARTBEAT
  --look-up-documentation
                       test networks only: look documentation addresses (192.0.2.0/24, 2001:db8::/32...)
                       up in the databases, as the namespace lab's test database expects
                                                                   DETOURWATCH_LOOK_UP_DOCUMENTATION=1
  --resolver HOST:PORT the DNS server asked for the reverse names of agents' hops (agents trace with -n);
                       an address, port 53 unless given (default: the system's)  DETOURWATCH_RESOLVER
  --no-resolve         no reverse-name lookups: only names the tools printed     DETOURWATCH_NO_RESOLVE=1
  --tile-url URL       an online tile layer for the map, e.g. https://tile.example/{z}/{x}/{y}.png
                       (default: none, the offline base map of countries and US states)
                                                                                 DETOURWATCH_TILE_URL
  --tile-attribution TEXT  the attribution the tile provider requires          DETOURWATCH_TILE_ATTRIBUTION

Incidents, alerts and retention:
  --incident-quiet DUR an incident closes after this long without a detour of its cause, at least 1m:
                       30m, 2h, 1d (default 2h)                                  DETOURWATCH_INCIDENT_QUIET
  --webhook URL        POST a signed JSON alert to URL when an incident opens or closes; repeat for
                       several receivers (variable: space-separated URLs)        DETOURWATCH_WEBHOOKS
  --webhook-secret S   shared secret for the X-Detourwatch-Signature HMAC (prefer the variable: a flag
                       shows in the process list)                                DETOURWATCH_WEBHOOK_SECRET
  --webhook-config F   JSON file: {"webhooks":[{"url":"...","secret":"...","events":["incident.opened"]}]}
                                                                                 DETOURWATCH_WEBHOOK_CONFIG
  --retain-hops-days N delete raw hop rows and raw agent outputs older than N days, keeping verdicts and
                       incidents (default: keep everything)                      DETOURWATCH_RETAIN_HOPS_DAYS`;

function howToConnect(config: ServeConfig, coordinator: Coordinator): string[] {
  const dataFlag =
    config.database !== undefined
      ? ` --database ${redactedUrl(config.database)}`
      : config.dataDir === path.resolve(DEFAULT_DATA_DIR)
        ? ''
        : ` --data ${config.dataDir}`;
  const everywhere = config.host === '0.0.0.0' || config.host === '::';
  const server = everywhere
    ? `ws://THIS-MACHINE:${coordinator.port}`
    : coordinator.url.replace(/^http/, 'ws');
  const lines = [
    '',
    'To connect an agent:',
    `  1. on this machine, create its token:  npx detourwatch token create --name NAME${dataFlag}`,
    `  2. on the volunteer's machine, run:      DETOURWATCH_TOKEN=TOKEN npx --yes ${server.replace(/^ws/, 'http')}${AGENT_TARBALL_PATH} --server ${server} --location LAT,LON`,
  ];
  if (config.host === '127.0.0.1' || config.host === 'localhost' || config.host === '::1') {
    lines.push(
      '  (listening on this machine only: start with --host 0.0.0.0 so agents elsewhere can connect)',
    );
  } else if (everywhere) {
    lines.push('  (THIS-MACHINE: an address or name of this machine that the agents can reach)');
  }
  return lines;
}

/** What history does, for the banner. */
function historyLines(history: HistoryConfig): string[] {
  const { quietMs, webhooks, retainHopsDays } = history;
  return [
    `incidents close after ${Math.round(quietMs / 60_000)} min without a detour`,
    webhooks.length === 0
      ? 'alerts: no webhook configured'
      : `alerts: ${webhooks.map((w) => `${w.label}${w.secret === null ? ' (unsigned)' : ''}`).join(', ')}`,
    retainHopsDays === null
      ? 'retention: raw hops kept forever'
      : `retention: raw hops and outputs older than ${retainHopsDays} days are deleted`,
  ];
}

function resolverLine(config: ServeConfig): string {
  if (!config.resolve) return 'off (--no-resolve): only names the tools printed';
  const server = config.resolver ?? "the system's resolver";
  return `PTR lookups through ${server}, cached, at most 300 ms per result`;
}

function banner(
  config: ServeConfig,
  analysis: string[],
  coordinator: Coordinator,
  targets: number,
  history: string[],
): string[] {
  const schedule = config.schedule
    ? `each agent traces each target every ${formatDuration(config.intervalMs)}`
    : 'recurring measurements off (--no-schedule); POST /api/v1/measurements still works';
  const source = config.targetsAreDefault ? 'the default catalogue' : 'the operator list';
  return [
    `detourwatch coordinator ${AGENT_VERSION} (protocol ${PROTOCOL_VERSION})`,
    `data: ${coordinator.storeDescription}`,
    ...analysis.map((line) => `analysis: ${line}`),
    `targets: ${targets} from ${source} ${config.targetsFile}, plus connected agents with public addresses`,
    `schedule: ${schedule}`,
    `reverse names: ${resolverLine(config)}`,
    ...history.map((line) => `history: ${line}`),
    ...howToConnect(config, coordinator),
    '',
    `map: ${coordinator.url}/`,
    `agent page (instructions and package for volunteers): ${coordinator.url}${AGENT_PAGE_PATH}`,
    `agents connect to ${coordinator.agentUrl}`,
    // Last, so a process reading this line (tests, supervisors) knows the coordinator is up.
    `listening on ${coordinator.url}`,
  ];
}

/** Resolves on the first SIGTERM or SIGINT; SIGHUP re-reads the target list and the databases meanwhile. */
function untilStopped(
  coordinator: Coordinator,
  geo: SwappableGeo,
  say: (line: string) => void,
): Promise<string> {
  return new Promise((resolve) => {
    const onHup = () => {
      say('SIGHUP: re-reading the target list and the --city-db/--asn-db files');
      coordinator.reloadTargets();
      geo.reload();
    };
    const stop = (signal: string) => {
      process.off('SIGHUP', onHup);
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      resolve(signal);
    };
    const onTerm = () => stop('SIGTERM');
    const onInt = () => stop('SIGINT');
    process.on('SIGHUP', onHup);
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
  });
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'run the coordinator: HTTP API, agent endpoint, ingest and store',
  usage: USAGE,
  async run(args: string[], io: CliIo): Promise<number> {
    const { config, history: historyConfig } = loadServeOptions(args, process.env);
    const say = (line: string) => io.stdout.write(`${line}\n`);
    const log = (line: string) => say(`${new Date().toISOString()} ${line}`);
    // --city-db and --asn-db are watched: a new file is swapped in once it passes a sanity check.
    const geo = openSwappableGeo({
      ...(config.cityDb === undefined ? {} : { cityDb: config.cityDb }),
      ...(config.asnDb === undefined ? {} : { asnDb: config.asnDb }),
      lookUpDocumentation: config.lookUpDocumentation,
      log,
      watch: true,
    });
    const analyzer = createAnalyzer({
      locator: geo.current,
      homeCountry: config.homeCountry,
      kmPerMs: config.kmPerMs,
    });
    analyzer.preload();
    const store = await openStore({
      dataDir: config.dataDir,
      database: config.database,
      create: true,
      busyTimeoutMs: COORDINATOR_BUSY_TIMEOUT_MS,
    });
    let coordinator: Coordinator;
    try {
      coordinator = await startCoordinator({
        store,
        analyzer,
        log,
        ...serveSettings(config, historyConfig),
        reverseDns: reverseDnsSettings(config),
      });
    } catch (err) {
      geo.close();
      await store.close();
      throw err;
    }
    say(
      banner(
        config,
        analyzer.describe(),
        coordinator,
        coordinator.targetCount(),
        historyLines(historyConfig),
      ).join('\n'),
    );
    const signal = await untilStopped(coordinator, geo, log);
    log(`${signal}: shutting down (writing pending results, closing agent connections)`);
    geo.close();
    await coordinator.close();
    await store.close();
    log('stopped');
    return 0;
  },
};
