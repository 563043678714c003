/**
 * The composition root: the one place the coordinator is assembled. `detourwatch serve`, the benchmarks and
 * every test that needs a coordinator call startCoordinator, differing only in the options they pass; tests
 * reach their seams (a wrapped ingest, short batch, tick and probe intervals, a failing fold) as options
 * here, never by wiring the parts a second way.
 */
import type { MapConfig } from '../protocol/map-api.ts';
import type { Analyzer } from './analyze/pipeline.ts';
import type { ServeConfig } from './config/serve-config.ts';
import { evidenceContext } from './evidence/make-bundle.ts';
import { openSigningKey } from './evidence/signing-key.ts';
import { type ExportSlots, exportSlots } from './history/export-slots.ts';
import type { HistoryConfig } from './history/history-options.ts';
import { type HistoryOptions, type HistoryService, startHistory } from './history/history-service.ts';
import { createApp } from './http/app.ts';
import { createAuth } from './http/auth.ts';
import { createHttpServer, type TlsFiles } from './http/http-server.ts';
import { listen, urlHost } from './http/listen.ts';
import { storeMapSource } from './http/map-source.ts';
import { DEFAULT_RATE_LIMITS, type RateLimits } from './http/rate-limit.ts';
import { AGENT_PATH, createHub, type Hub } from './hub/hub.ts';
import type { SessionLimits } from './hub/session.ts';
import { createIngest, type Ingest } from './ingest/ingest.ts';
import type { Cidr } from './net/client-address.ts';
import { parseTraces } from './parse/index.ts';
import { nameTrace } from './resolve/name-trace.ts';
import { createPtrResolver, type PtrResolver, type PtrResolverOptions } from './resolve/ptr-resolver.ts';
import { openCatalogue } from './schedule/catalogue.ts';
import { createScheduler } from './schedule/scheduler.ts';
import type { Store } from './store/store.ts';

/** Exports streaming at once, unless a test brings its own slots. */
const MAX_CONCURRENT_EXPORTS = 4;

/** Incidents, alerts and retention (serve's HistoryConfig), plus the history's test seams. */
export type HistorySettings = Omit<HistoryOptions, 'store' | 'now' | 'log'>;

/** The map's page settings (serve's --tile-url, --tile-attribution), where its page is, how often it polls. */
export interface MapSettings extends Omit<MapConfig, 'homeCountries'> {
  /** The analysis's home countries (serve's --home-country), for the page's title; US by default. */
  homeCountries?: readonly string[];
  /** The built page; web/dist by default. */
  webRoot?: string;
  /** How often the live feed looks for new detours (default 1 s). */
  pollMs?: number;
}

export interface CoordinatorOptions extends Partial<SessionLimits> {
  store: Store;
  analyzer: Pick<Analyzer, 'annotateAndJudge' | 'provenance'>;
  /** The data directory (`--data`): where the evidence signing key lives (server/evidence/signing-key.ts). */
  dataDir: string;
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  targetsFile: string;
  /** Re-read the target list when it changes. */
  watchTargets: boolean;
  /** Recurring measurements; false sends only those asked for through the API. */
  schedule: boolean;
  intervalMs: number;
  /** How often the scheduler looks for work (default 1 s). */
  tickMs?: number;
  /** How long ingest waits for a batch to fill, and its size. */
  batchMs?: number;
  batchMax?: number;
  history: HistorySettings;
  map: MapSettings;
  /** The cap on running exports (default 4). */
  exports?: ExportSlots;
  /** The clock of history and the API (epoch ms); benchmarks replay a stored store's time. */
  now?: () => number;
  log?: (line: string) => void;
  /** HTTPS and wss:// on the same port (`serve --tls-cert/--tls-key`); absent: plain HTTP. */
  tls?: TlsFiles | null;
  /** Reads without an operator key (default true; `serve --public-read false` closes them). */
  publicRead?: boolean;
  /** `--trust-proxy`: peers whose X-Forwarded-For names the client (hub and rate limits). */
  trustProxy?: readonly Cidr[];
  /** The API's rate limits (default rate-limit.ts DEFAULT_RATE_LIMITS). */
  rateLimits?: RateLimits;
  /** How long after issue a task may first be answered (default 15 min); a test shortens it. */
  taskWindowMs?: number;
  /**
   * false: results need no task. Only for tests and benchmarks of ingest that are not about tasks; `serve`
   * never sets it (every result must answer a task the coordinator issued to that agent).
   */
  enforceTasks?: boolean;
  /** Wraps the ingest the hub feeds (a test makes it throw for one agent). */
  wrapIngest?: (ingest: Ingest) => Ingest;
  /**
   * Reverse names for the hops of agents' traces (`serve` passes its --resolver unless --no-resolve); absent
   * or null: only the names the tools printed. `waitMs` (default 300) bounds how long a result waits for DNS.
   */
  reverseDns?: (PtrResolverOptions & { waitMs?: number }) | null;
}

/** What `serve`'s configuration sets; the rest keeps its defaults. */
export type ServeSettings = Pick<
  CoordinatorOptions,
  | 'dataDir'
  | 'host'
  | 'port'
  | 'targetsFile'
  | 'watchTargets'
  | 'schedule'
  | 'intervalMs'
  | 'heartbeatMs'
  | 'history'
  | 'map'
  | 'publicRead'
  | 'trustProxy'
  | 'tls'
>;

/** The options `serve`'s configuration stands for (server/config/serve-config.ts loads it). */
export function serveSettings(config: ServeConfig, history: HistoryConfig): ServeSettings {
  return {
    dataDir: config.dataDir,
    host: config.host,
    port: config.port,
    targetsFile: config.targetsFile,
    // An operator's list is watched; the shipped catalogue changes only with a release.
    watchTargets: !config.targetsAreDefault,
    schedule: config.schedule,
    intervalMs: config.intervalMs,
    heartbeatMs: config.heartbeatMs,
    publicRead: config.publicRead,
    trustProxy: config.trustProxy,
    tls: config.tls,
    // The vantage checks bound agents by the same speed of light the verdicts use.
    history: config.kmPerMs === undefined ? history : { ...history, kmPerMs: config.kmPerMs },
    map: {
      tileUrl: config.tileUrl,
      tileAttribution: config.tileAttribution,
      ...(config.homeCountry === undefined ? {} : { homeCountries: config.homeCountry.split(',') }),
    },
  };
}

/**
 * serve's reverse-name lookups: its --resolver (else the system's) unless --no-resolve. Apart from
 * serveSettings, so that harnesses and benchmarks starting from serve's defaults send no DNS queries.
 */
export function reverseDnsSettings(config: ServeConfig): CoordinatorOptions['reverseDns'] {
  if (!config.resolve) return null;
  return {
    servers: config.resolver === undefined ? null : [config.resolver],
    lookUpDocumentation: config.lookUpDocumentation,
  };
}

export interface Coordinator {
  /** http://HOST:PORT with the bound port. */
  readonly url: string;
  /** ws://HOST:PORT/api/v1/agent */
  readonly agentUrl: string;
  readonly port: number;
  readonly hub: Hub;
  /** Incidents and baselines folded into every write, alerts, retention. */
  readonly history: HistoryService;
  readonly storeDescription: string;
  /** The public key that signs evidence bundles (`ed25519:...`), for `serve`'s banner. */
  readonly evidenceKey: string;
  /** The reverse-name resolver ingest uses; null without one. */
  readonly resolver: PtrResolver | null;
  /** Targets in the catalogue file now (the mesh of agents comes on top). */
  targetCount(): number;
  reloadTargets(): void;
  /**
   * Stops scheduling, writes and acknowledges pending results, closes every socket, then stops history.
   * Leaves the store open: its owner closes it.
   */
  close(): Promise<void>;
}

/**
 * Starts the whole coordinator over one store: the target catalogue (its landmarks), history (it catches up
 * with traces stored while no fold was bound, and must be bound before anything writes), the batching ingest, the
 * scheduler and the agents' hub, and one HTTP server carrying the API, the map and the WebSocket endpoint.
 */
export async function startCoordinator(options: CoordinatorOptions): Promise<Coordinator> {
  const log = options.log ?? (() => {});
  const now = options.now ?? Date.now;
  const { store } = options;
  const startedAt = now();
  // What is running, stopped in reverse if a later part fails to start.
  const started: (() => unknown)[] = [];
  try {
    // The catalogue first: its landmarks feed the vantage checks from the first fold (catch-up included).
    const catalogue = openCatalogue({ file: options.targetsFile, watch: options.watchTargets, log });
    started.push(() => catalogue.close());
    const history = await startHistory({
      store,
      landmarks: () => catalogue.landmarks(),
      ...options.history,
      now,
      log,
    });
    started.push(() => history.close());
    await store.markAllDisconnected();
    const mapSource = storeMapSource(store, { log, pollMs: options.map.pollMs });
    started.push(() => mapSource.close());
    const dns = options.reverseDns ?? null;
    const resolver = dns === null ? null : createPtrResolver({ log, ...dns });
    if (resolver !== null) started.push(() => resolver.close());
    const waitMs = dns?.waitMs ?? 300;
    const created = createIngest({
      store,
      parseTraces,
      analyze: options.analyzer.annotateAndJudge,
      ...(resolver === null ? {} : { nameTrace: (trace) => nameTrace(trace, resolver, waitMs) }),
      batchMs: options.batchMs,
      batchMax: options.batchMax,
      log,
    });
    const ingest = options.wrapIngest ? options.wrapIngest(created) : created;
    // The scheduler drives the hub and listens to it: the channel reaches the hub once it exists.
    let hubRef: Hub | null = null;
    const scheduler = createScheduler({
      channel: {
        connected: () => hubRef?.connected() ?? [],
        sendTask: (agentId, task) => hubRef?.sendTask(agentId, task) ?? false,
      },
      catalogueTargets: () => catalogue.targets(),
      recurring: options.schedule,
      intervalMs: options.intervalMs,
      tickMs: options.tickMs,
      log,
    });
    const hub = createHub({
      store,
      ingest,
      events: scheduler.events,
      heartbeatMs: options.heartbeatMs,
      helloTimeoutMs: options.helloTimeoutMs,
      maxErrors: options.maxErrors,
      maxPendingResults: options.maxPendingResults,
      maxBufferedBytes: options.maxBufferedBytes,
      livenessProbeMs: options.livenessProbeMs,
      taskWindowMs: options.taskWindowMs,
      enforceTasks: options.enforceTasks,
      trustProxy: options.trustProxy,
      log,
    });
    hubRef = hub;
    started.push(async () => {
      await ingest.close();
      await hub.close();
    });
    // The evidence key, made on first use; each database's SHA-256 was computed when it was opened.
    const evidence = evidenceContext(openSigningKey(options.dataDir), options.analyzer.provenance, now);
    const app = createApp(
      {
        store,
        evidence,
        analyzer: options.analyzer,
        auth: createAuth({
          store,
          publicRead: options.publicRead ?? true,
          trustProxy: options.trustProxy ?? [],
        }),
        rateLimits: options.rateLimits ?? DEFAULT_RATE_LIMITS,
        hub,
        scheduler,
        ingest,
        exports: options.exports ?? exportSlots(MAX_CONCURRENT_EXPORTS),
        now,
        startedAt,
        map: {
          source: mapSource,
          config: {
            tileUrl: options.map.tileUrl,
            tileAttribution: options.map.tileAttribution,
            ...(options.map.homeCountries ? { homeCountries: options.map.homeCountries } : {}),
          },
          webRoot: options.map.webRoot,
        },
      },
      log,
    );
    const tls = options.tls ?? null;
    const server = createHttpServer(app.fetch, tls);
    server.on('upgrade', (request, socket, head) => hub.handleUpgrade(request, socket, head));
    const port = await listen(server, options.port, options.host);
    scheduler.start();
    const base = `${urlHost(options.host)}:${port}`;

    let closing: Promise<void> | null = null;
    return {
      url: `${tls ? 'https' : 'http'}://${base}`,
      agentUrl: `${tls ? 'wss' : 'ws'}://${base}${AGENT_PATH}`,
      port,
      hub,
      history,
      storeDescription: store.description,
      evidenceKey: evidence.key.publicKey,
      resolver,
      targetCount: () => catalogue.targets().length,
      reloadTargets: () => catalogue.reload(),
      close() {
        closing ??= (async () => {
          scheduler.stop();
          catalogue.close();
          const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
          // Acks need the sockets: write what is pending while agents are still connected.
          await ingest.close();
          resolver?.close();
          await hub.close();
          server.closeAllConnections();
          await stopped;
          mapSource.close();
          await history.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    for (const stop of started.reverse()) await stop();
    throw err;
  }
}
