/**
 * The composition root: the one place the coordinator is assembled. `detourwatch serve`, the benchmarks and
 * every test that needs a coordinator call startCoordinator, differing only in the options they pass; tests
 * reach their seams (a wrapped ingest, short batch, tick and probe intervals, a failing fold) as options
 * here, never by wiring the parts a second way.
 */
import { PLACEMENT_CHANGED } from '../protocol/events-api.ts';
import type { MapConfig } from '../protocol/map-api.ts';
import type { Analyzer } from './analyze/pipeline.ts';
import { claimingDeliveries, DEFAULT_CLAIM_MS, startDeliveryRescue } from './cluster/delivery-claims.ts';
import { newInstanceId } from './cluster/instance-id.ts';
import { createLeaseKeeper, DEFAULT_LEASE_MS } from './cluster/lease-keeper.ts';
import { createPeerRouter, type PeerRouter } from './cluster/peer-router.ts';
import type { ServeConfig } from './config/serve-config.ts';
import { startEventRetention } from './events/event-retention.ts';
import { evidenceContext } from './evidence/make-bundle.ts';
import { openSigningKey } from './evidence/signing-key.ts';
import { type ExportSlots, exportSlots } from './history/export-slots.ts';
import type { HistoryConfig } from './history/history-options.ts';
import { type HistoryOptions, type HistoryService, startHistory } from './history/history-service.ts';
import { createApp } from './http/app.ts';
import { createAuth } from './http/auth.ts';
import { encodeEvents, mapDetourOf } from './http/event-encoding.ts';
import { eventFeed } from './http/event-feed.ts';
import { createHttpServer, type TlsFiles } from './http/http-server.ts';
import { listen, urlHost } from './http/listen.ts';
import { storeMapSource } from './http/map-source.ts';
import { DEFAULT_RATE_LIMITS, type RateLimits } from './http/rate-limit.ts';
import { AGENT_PATH, createHub, type Hub } from './hub/hub.ts';
import type { SessionLimits } from './hub/session.ts';
import { type AnalysisPool, startAnalysisPool, type WorkerAnalyzerOptions } from './ingest/analysis-pool.ts';
import { createIngest, type Ingest } from './ingest/ingest.ts';
import type { Cidr } from './net/client-address.ts';
import { parseTraces } from './parse/index.ts';
import { createConstraintCache } from './placement/constraint-cache.ts';
import { type ConstraintRejudge, createConstraintRejudge } from './placement/constraint-rejudge.ts';
import { createConventionKeeper, observationsOf } from './placement/convention-keeper.ts';
import { changeItem } from './placement/correction-items.ts';
import { createCorrectionBook, startCorrections } from './placement/corrections.ts';
import { packagedGazetteer } from './placement/dictionaries.ts';
import { locationReader } from './placement/location-reader.ts';
import type { RejudgeSettings } from './placement/rejudge.ts';
import { nameTrace } from './resolve/name-trace.ts';
import { createPtrResolver, type PtrResolver, type PtrResolverOptions } from './resolve/ptr-resolver.ts';
import { openCatalogue } from './schedule/catalogue.ts';
import { createScheduler } from './schedule/scheduler.ts';
import type { PlacementChange } from './store/location-correction-store.ts';
import { routerReadings } from './store/router-readings.ts';
import type { Store } from './store/store.ts';
import type { ResultRecord } from './store/trace-store.ts';

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
  /**
   * How often the live feed (GET /api/v1/events, which the map follows) reads new events from the store
   * (default 1 s; on PostgreSQL a NOTIFY from any coordinator wakes it sooner).
   */
  pollMs?: number;
}

export interface CoordinatorOptions extends Partial<SessionLimits> {
  store: Store;
  /** With `withLearned`, verdicts also draw on the stored router constraints (issue 15). */
  analyzer: Pick<Analyzer, 'annotateAndJudge' | 'provenance'> &
    Partial<Pick<Analyzer, 'withLearned' | 'locate'>>;
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
  /** How long after issue a task may first be answered (`serve --task-window`, default 24 h). */
  taskWindowMs?: number;
  /**
   * false: results need no task. Only for tests and benchmarks of ingest that are not about tasks; `serve`
   * never sets it (every result must answer a task the coordinator issued to that agent).
   */
  enforceTasks?: boolean;
  /**
   * Parse, geolocate and judge agents' results in `count` worker threads (issue 17; `serve
   * --analysis-workers`), each with an analyzer made from `analyzer`, which must be the options `analyzer`
   * above was created with; absent or 0: in this thread.
   */
  analysisWorkers?: { count: number; analyzer: WorkerAnalyzerOptions; generation?: () => unknown };
  /** Wraps the ingest the hub feeds (a test makes it throw for one agent). */
  wrapIngest?: (ingest: Ingest) => Ingest;
  /**
   * Reverse names for the hops of agents' traces (`serve` passes its --resolver unless --no-resolve); absent
   * or null: only the names the tools printed. `waitMs` (default 300) bounds how long a result waits for DNS.
   */
  reverseDns?: (PtrResolverOptions & { waitMs?: number }) | null;
  /**
   * Several coordinators on one database (issue 12): this one's instance id (`serve --instance-id`; random
   * by default), how long its agent leases last unrenewed (`serve --lease`, default 20 s), and its webhook
   * delivery claims (default: the lease, at most 30 s).
   */
  instanceId?: string;
  leaseMs?: number;
  claimMs?: number;
  /**
   * The replayable event stream, GET /api/v1/events (issue 12): how long events stay replayable (default 7
   * days, the newest 10,000 kept whatever their age). How often it reads the table is the map's pollMs.
   */
  events?: { retentionMs?: number; keep?: number };
  /**
   * Operators' location corrections (issue 15): re-judging's window and bound (default 30 days, 5,000
   * traces), how often changes recorded by others (the CLI on a local store) are looked for (default 5 s), and
   * where each final placement-change record goes (default: the event stream, as `placement.changed`).
   */
  corrections?: {
    rejudge?: RejudgeSettings;
    pollMs?: number;
    placementChanged?: (change: PlacementChange) => void;
    /** How long the placements stored constraints moved wait to be judged again together (default 2 s). */
    constraintDebounceMs?: number;
  };
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
  | 'instanceId'
  | 'leaseMs'
  | 'taskWindowMs'
  | 'events'
  | 'corrections'
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
    ...(config.instanceId === undefined ? {} : { instanceId: config.instanceId }),
    leaseMs: config.leaseMs,
    taskWindowMs: config.taskWindowMs,
    events: config.events,
    corrections: { rejudge: config.rejudge },
    // The vantage checks bound agents by the same speed of light the verdicts use.
    history: {
      ...history,
      ...(config.kmPerMs === undefined ? {} : { kmPerMs: config.kmPerMs }),
      baselineWindow: config.baselineWindow,
    },
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
  /** This coordinator among those sharing its database (its leases, claims and peer messages carry it). */
  readonly instanceId: string;
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
  const instanceId = options.instanceId ?? newInstanceId();
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  // A dead coordinator's unsent webhooks wait as long as its agents do (at most the default claim).
  const claimMs = options.claimMs ?? Math.min(DEFAULT_CLAIM_MS, leaseMs);
  log(`cluster: coordinator instance ${instanceId} (agent leases ${leaseMs} ms)`);
  // What is running, stopped in reverse if a later part fails to start.
  const started: (() => unknown)[] = [];
  try {
    // The catalogue first: its landmarks feed the vantage checks from the first fold (catch-up included).
    const catalogue = openCatalogue({ file: options.targetsFile, watch: options.watchTargets, log });
    started.push(() => catalogue.close());
    // Joined first: the other coordinators read the membership as this one being alive, so nothing it
    // claims (deliveries from the history's catch-up, agent leases) may come before it.
    let peers: PeerRouter | null = null;
    const membership = await store.joinCluster(instanceId, (payload) => peers?.handle(payload), log);
    started.push(() => membership.leave());
    const history = await startHistory({
      // Each webhook delivery is claimed by this instance as it is recorded: one coordinator sends it.
      store: { ...store, ...claimingDeliveries(store, instanceId, claimMs, now) },
      landmarks: () => catalogue.landmarks(),
      ...options.history,
      now,
      log,
    });
    started.push(() => history.close());
    // Agents shown connected are, unless a live lease of another coordinator holds them, not connected.
    let hubRef: Hub | null = null;
    const leases = createLeaseKeeper({
      store,
      instanceId,
      leaseMs,
      now,
      log,
      onLost: (tokenIds) => hubRef?.leasesLost(tokenIds),
    });
    await leases.start();
    started.push(() => leases.close());
    const rescue =
      options.history.webhooks.length === 0
        ? null
        : startDeliveryRescue({ store, instanceId, webhooks: options.history.webhooks, claimMs, now, log });
    if (rescue !== null) started.push(() => rescue.close());
    const mapSource = storeMapSource(store);
    const detourOf = mapDetourOf(mapSource);
    const feed = eventFeed(store, {
      encode: (events) => encodeEvents(events, detourOf, log),
      pollMs: options.map.pollMs,
      log,
    });
    started.push(() => feed.close());
    const stopEventRetention = startEventRetention({
      store,
      retentionMs: options.events?.retentionMs,
      keep: options.events?.keep,
      now,
      log,
    });
    started.push(stopEventRetention);
    const dns = options.reverseDns ?? null;
    const resolver = dns === null ? null : createPtrResolver({ log, ...dns });
    if (resolver !== null) started.push(() => resolver.close());
    const waitMs = dns?.waitMs ?? 300;
    // Router constraints (issue 15): placement reads them synchronously from this cache, which every stored
    // batch refreshes for the addresses it measured before its results are acknowledged.
    const constraints = createConstraintCache({ store, kmPerMs: options.analyzer.provenance().kmPerMs, log });
    // Operators' corrections (issue 15): placement reads this map, loaded now and before each re-judging.
    const book = createCorrectionBook();
    // Naming conventions (issue 15): learned from the named hops of every trace analysed here from a declared
    // position; placement reads the keeper's live view, so each relearning applies to the next trace.
    const keeper = createConventionKeeper({
      gazetteer: packagedGazetteer,
      kmPerMs: options.analyzer.provenance().kmPerMs,
    });
    const learnedAnalyzer =
      options.analyzer.withLearned?.({
        constraintsFor: constraints.discsFor,
        correctionFor: book.correctionFor,
        conventions: keeper.conventions,
      }) ?? options.analyzer;
    const analyzer: typeof learnedAnalyzer = {
      ...learnedAnalyzer,
      annotateAndJudge: (trace, sourcePosition, context) => {
        const analysis = learnedAnalyzer.annotateAndJudge(trace, sourcePosition, context);
        keeper.observe(observationsOf(analysis.annotated));
        return analysis;
      },
    };
    const measured = (records: readonly ResultRecord[]): string[] =>
      routerReadings(records.flatMap((r) => r.traces.map((record) => ({ record, startedAt: 0 })))).map(
        (reading) => reading.ip,
      );
    // Set once the corrections' loop runs: placements the constraints move are re-judged through it.
    let constraintRejudge: ConstraintRejudge | null = null;
    const refreshed = (addresses: string[]) =>
      constraintRejudge === null
        ? constraints.refresh(addresses)
        : constraintRejudge.around(addresses, () => constraints.refresh(addresses));
    const ingestStore: Store = {
      ...store,
      async writeResults(records) {
        const outcomes = await store.writeResults(records);
        await refreshed(measured(records)).catch((err: unknown) =>
          log(`placement: cannot refresh router constraints: ${String(err)}`),
        );
        return outcomes;
      },
    };
    const workers = options.analysisWorkers;
    let pool: AnalysisPool | null = null;
    if (workers !== undefined && workers.count > 0) {
      const poolStarted = startAnalysisPool({
        size: workers.count,
        analyzer: workers.analyzer,
        ...(workers.generation ? { generation: workers.generation } : {}),
        learned: { constraintsFor: constraints.discsFor, correctionFor: book.correctionFor },
        ...(resolver === null ? {} : { nameTrace: (trace) => nameTrace(trace, resolver, waitMs) }),
        log,
      });
      pool = poolStarted;
      started.push(() => poolStarted.close());
      await poolStarted.ready();
      log(`ingest: ${workers.count} analysis worker(s) parse, geolocate and judge agents' results`);
    }
    const created = createIngest({
      ...(pool === null ? {} : { buildElsewhere: pool.build }),
      store: ingestStore,
      parseTraces,
      analyze: analyzer.annotateAndJudge,
      ...(resolver === null ? {} : { nameTrace: (trace) => nameTrace(trace, resolver, waitMs) }),
      batchMs: options.batchMs,
      batchMax: options.batchMax,
      lateAfterMs: options.history.lateAfterMs,
      log,
    });
    const ingest = options.wrapIngest ? options.wrapIngest(created) : created;
    const announce =
      options.corrections?.placementChanged ??
      ((change: PlacementChange) => {
        store
          .appendEvents([
            { type: PLACEMENT_CHANGED, at: change.appliedAt ?? now(), data: { ...changeItem(change) } },
          ])
          .catch((err: unknown) => log(`placement: cannot record the change event: ${String(err)}`));
      });
    // The map's learned routes come from the verdicts re-judging just rewrote.
    const placementChanged = (change: PlacementChange) => {
      if (change.verdictsChanged > 0 || change.tracesRejudged > 0) mapSource.forgetRoutes();
      announce(change);
    };
    const corrections = await startCorrections({
      store,
      book,
      // Re-judging reads traces already observed: it must not count them again.
      analyze: learnedAnalyzer.annotateAndJudge,
      parseTraces,
      now,
      log,
      placementChanged,
      ...(options.corrections?.rejudge ? { rejudge: options.corrections.rejudge } : {}),
      ...(options.corrections?.pollMs ? { pollMs: options.corrections.pollMs } : {}),
    });
    started.push(() => corrections.close());
    const locateAddress = options.analyzer.locate;
    if (locateAddress !== undefined) {
      const rejudger = createConstraintRejudge({
        store,
        discsFor: constraints.discsFor,
        locate: locateAddress,
        correctionFor: book.correctionFor,
        gazetteer: packagedGazetteer,
        home: new Set(options.analyzer.provenance().homeCountries),
        applyPending: corrections.applyPending,
        now,
        log,
        ...(options.corrections?.constraintDebounceMs === undefined
          ? {}
          : { debounceMs: options.corrections.constraintDebounceMs }),
      });
      constraintRejudge = rejudger;
      started.push(() => rejudger.close());
    }
    // The scheduler drives the hub and listens to it: the channel reaches the hub once it exists.
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
      leases,
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
    // Measurements for agents connected to another coordinator of this database go there.
    const router = createPeerRouter({
      store,
      channel: membership.channel,
      instanceId,
      hub,
      scheduler,
      leaseMs,
      log,
    });
    peers = router;
    started.push(() => router.close());
    // The evidence key, made on first use; each database's SHA-256 was computed when it was opened.
    const evidence = evidenceContext(openSigningKey(options.dataDir), options.analyzer.provenance, now);
    const { locate } = options.analyzer;
    const provenance = options.analyzer.provenance();
    const locations =
      locate === undefined
        ? undefined
        : locationReader({
            store,
            locate,
            home: new Set(provenance.homeCountries),
            kmPerMs: provenance.kmPerMs,
          });
    const app = createApp(
      {
        store,
        evidence,
        // Pasted traces are not the network's measurements: they teach the conventions nothing.
        analyzer: learnedAnalyzer,
        locations,
        auth: createAuth({
          store,
          publicRead: options.publicRead ?? true,
          trustProxy: options.trustProxy ?? [],
        }),
        rateLimits: options.rateLimits ?? DEFAULT_RATE_LIMITS,
        hub,
        scheduler,
        peers: router,
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
        events: { store, feed, log },
        corrections: {
          check: { store, kmPerMs: options.analyzer.provenance().kmPerMs, gazetteer: packagedGazetteer },
          applyPending: corrections.applyPending,
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
      instanceId,
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
          await pool?.close();
          await constraintRejudge?.close();
          await corrections.close();
          resolver?.close();
          await hub.close();
          server.closeAllConnections();
          await stopped;
          await router.close();
          await leases.close();
          stopEventRetention();
          await feed.close();
          await history.close();
          await rescue?.close();
          await membership.leave();
        })();
        return closing;
      },
    };
  } catch (err) {
    for (const stop of started.reverse()) await stop();
    throw err;
  }
}
