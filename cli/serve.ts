import path from 'node:path';
import { AGENT_PAGE_PATH, AGENT_TARBALL_PATH } from '../protocol/agent-package.ts';
import { formatDuration } from '../protocol/values/duration.ts';
import { AGENT_VERSION, PROTOCOL_VERSION } from '../protocol/version.ts';
import { describeRule } from '../server/alerts/alert-rules.ts';
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
  --analysis-workers N threads that parse, geolocate and judge agents' results beside the one that
                       stores them, 0 to 64 (default 0: all in one thread; see bench/README.md)
                                                                                 DETOURWATCH_ANALYSIS_WORKERS
  --task-window DUR    how long after a task is sent its first answer is accepted: an agent offline
                       (a laptop closed overnight) delivers its outbox when it is back; later answers
                       are refused RESULT_LATE; 1m to 30d (default 1d)           DETOURWATCH_TASK_WINDOW
  --tile-url URL       an online tile layer for the map, e.g. https://tile.example/{z}/{x}/{y}.png
                       (default: none, the offline base map of countries and US states)
                                                                                 DETOURWATCH_TILE_URL
  --tile-attribution TEXT  the attribution the tile provider requires          DETOURWATCH_TILE_ATTRIBUTION

Several coordinators on one --database (a load balancer in front; README "Several coordinators"):
  --instance-id ID     this coordinator's name in leases, claims and logs (default: random at start)
                                                                                 DETOURWATCH_INSTANCE_ID
  --lease DUR          how long an agent stays this coordinator's after its last lease renewal (renewed
                       every third of it); a dead coordinator's agents move after this, 300ms to 10m
                       (default 20s)                                             DETOURWATCH_LEASE

Incidents, alerts and retention:
  --incident-quiet DUR an incident closes after this long without a detour of its cause, at least 1m:
                       30m, 2h, 1d (default 2h)                                  DETOURWATCH_INCIDENT_QUIET
  --webhook URL        POST a signed JSON alert to URL when an incident opens, is corroborated, is
                       confirmed (its first confirmed trace) or closes; repeat for several receivers
                       (variable: space-separated URLs)                          DETOURWATCH_WEBHOOKS
  --webhook-secret S   shared secret for the X-Detourwatch-Signature HMAC (prefer the variable: a flag
                       shows in the process list)                                DETOURWATCH_WEBHOOK_SECRET
  --webhook-config F   JSON file: {"webhooks":[{"url":"...","secret":"...","events":["incident.opened"],
                       "rules":[{"minConfidence":"confirmed","countries":["CN"],"asns":[4134],
                       "witnesses":3,"late":false}]}]}: a webhook takes what any rule matches;
                       "route.changed" in its events adds route changes (opt-in, rules do not apply)
                                                                                 DETOURWATCH_WEBHOOK_CONFIG
  --webhook-route-changes
                       the --webhook URLs also take route.changed: a pair's AS path changed (the pair,
                       the usual path before with its share, the path after, the trace, left home)
                                                                   DETOURWATCH_WEBHOOK_ROUTE_CHANGES=1
  --webhook-min-confidence C
                       the --webhook URLs take only incidents this sure: probable (default) or
                       confirmed (a confirmed trace)                             DETOURWATCH_WEBHOOK_MIN_CONFIDENCE
  --webhook-countries CC,CC  ... only incidents via one of these foreign countries
                                                                                 DETOURWATCH_WEBHOOK_COUNTRIES
  --webhook-asns N,N   ... only incidents via one of these foreign ASNs          DETOURWATCH_WEBHOOK_ASNS
  --webhook-witnesses N
                       ... only incidents seen by N independent verified witnesses
                                                                                 DETOURWATCH_WEBHOOK_WITNESSES
  --late-after DUR     a result arriving this long after it ended is marked late (judged and alerted
                       like any other), at least 1s (default 10m)                DETOURWATCH_LATE_AFTER
  --retain-hops-days N delete raw hop rows and raw agent outputs older than N days, keeping verdicts and
                       incidents (default: keep everything)                      DETOURWATCH_RETAIN_HOPS_DAYS
  --events-keep-days N the live event stream (GET /api/v1/events) replays N days back, 1 to 3650
                       (default 7)                                               DETOURWATCH_EVENTS_KEEP_DAYS
  --events-keep-min N  ... but keeps at least the newest N events whatever their age, 0 to 10000000
                       (default 10000)                                           DETOURWATCH_EVENTS_KEEP_MIN

Baselines and re-judging:
  --baseline-window N  a pair's usual path is the most frequent of its last N judged traces, 2 to 10000
                       (default 48: half a day at a 15m interval)                DETOURWATCH_BASELINE_WINDOW
  --baseline-max-age DUR
                       ... none older than this before the pair's newest, at least 1m (default 30d)
                                                                                 DETOURWATCH_BASELINE_MAX_AGE
  --rejudge-days N     a location correction judges again the traces of the last N days through the
                       corrected address, 1 to 3650 (default 30)                 DETOURWATCH_REJUDGE_DAYS
  --rejudge-max N      ... at most N of them, newest first, 1 to 1000000 (default 5000)
                                                                                 DETOURWATCH_REJUDGE_MAX`;

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
  const rules = (w: HistoryConfig['webhooks'][number]) =>
    w.rules.length === 0 ? '' : ` [${w.rules.map((r, i) => describeRule(r, i)).join('; ')}]`;
  return [
    `incidents close after ${Math.round(quietMs / 60_000)} min without a detour`,
    webhooks.length === 0
      ? 'alerts: no webhook configured'
      : `alerts: ${webhooks.map((w) => `${w.label}${w.secret === null ? ' (unsigned)' : ''}${rules(w)}`).join(', ')}`,
    `results arriving more than ${formatDuration(history.lateAfterMs)} after they ended are marked late`,
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
    `instance: ${coordinator.instanceId} (agent leases ${formatDuration(config.leaseMs)})`,
    `evidence: bundles signed with ${coordinator.evidenceKey} (detourwatch bundle verify FILE checks one)`,
    `tasks: answered within ${formatDuration(config.taskWindowMs)} of being sent (an offline agent's outbox replays within it)`,
    `baselines: the usual path of the last ${config.baselineWindow.traces} traces, none older than ${formatDuration(config.baselineWindow.maxAgeMs)}`,
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
        analysisWorkers: {
          count: config.analysisWorkers,
          // The workers open the same files; a swap (a new locator in service) replaces them.
          generation: geo.current,
          analyzer: {
            ...(config.cityDb === undefined ? {} : { cityDb: config.cityDb }),
            ...(config.asnDb === undefined ? {} : { asnDb: config.asnDb }),
            lookUpDocumentation: config.lookUpDocumentation,
            ...(config.homeCountry === undefined ? {} : { homeCountry: config.homeCountry }),
            ...(config.kmPerMs === undefined ? {} : { kmPerMs: config.kmPerMs }),
          },
        },
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
