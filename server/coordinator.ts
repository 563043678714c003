import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { DetourwatchError, describeError } from '../protocol/errors.ts';
import type { HistoryReads } from './history/history-service.ts';
import { createApp } from './http/app.ts';
import type { MapWebOptions } from './http/routes-map.ts';
import { AGENT_PATH, createHub, type Hub } from './hub/hub.ts';
import type { SessionLimits } from './hub/session.ts';
import type { Analyze, ParseTraces } from './ingest/dependencies.ts';
import { createIngest } from './ingest/ingest.ts';
import { openCatalogue } from './schedule/catalogue.ts';
import { createScheduler } from './schedule/scheduler.ts';
import type { Store } from './store/store.ts';

export interface CoordinatorOptions extends Partial<SessionLimits> {
  store: Store;
  analyze: Analyze;
  parseTraces: ParseTraces;
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
  batchMs?: number;
  batchMax?: number;
  log?: (line: string) => void;
  /** The operators' history API (server/history/history-service.ts); without it, only the plain trace list. */
  history?: HistoryReads;
  /** The analysts' map (server/http/routes-map.ts); without it, no page at `/`. */
  map?: MapWebOptions;
}

export interface Coordinator {
  /** http://HOST:PORT with the bound port. */
  readonly url: string;
  /** ws://HOST:PORT/api/v1/agent */
  readonly agentUrl: string;
  readonly port: number;
  readonly hub: Hub;
  readonly storeDescription: string;
  /** Targets in the catalogue file now (the mesh of agents comes on top). */
  targetCount(): number;
  reloadTargets(): void;
  /** Stops scheduling, writes and acknowledges pending results, closes every socket. Leaves the store open. */
  close(): Promise<void>;
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      const why =
        err.code === 'EADDRINUSE' ? 'the port is in use (pick another with --port)' : describeError(err);
      reject(
        new DetourwatchError('CONFIG_INVALID', `cannot listen on ${host}:${port}: ${why}`, { cause: err }),
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Wires the coordinator: one HTTP server carries the API (Hono) and the agents' WebSocket endpoint, the
 * hub feeds results to the batching ingest and task events to the scheduler.
 */
export async function startCoordinator(options: CoordinatorOptions): Promise<Coordinator> {
  const log = options.log ?? (() => {});
  const { store } = options;
  await store.markAllDisconnected();
  const catalogue = openCatalogue({ file: options.targetsFile, watch: options.watchTargets, log });
  const ingest = createIngest({
    store,
    parseTraces: options.parseTraces,
    analyze: options.analyze,
    batchMs: options.batchMs,
    batchMax: options.batchMax,
    log,
  });
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
    log,
  });
  hubRef = hub;
  const startedAt = new Date();
  const app = createApp(
    {
      store,
      hub,
      scheduler,
      ingest,
      startedAt,
      now: () => new Date(),
      history: options.history,
      map: options.map,
    },
    log,
  );
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  server.on('upgrade', (request, socket, head) => hub.handleUpgrade(request, socket, head));
  let port: number;
  try {
    port = await listen(server, options.port, options.host);
  } catch (err) {
    catalogue.close();
    await hub.close();
    throw err;
  }
  scheduler.start();
  const base = `${urlHost(options.host)}:${port}`;

  let closing: Promise<void> | null = null;
  return {
    url: `http://${base}`,
    agentUrl: `ws://${base}${AGENT_PATH}`,
    port,
    hub,
    storeDescription: store.description,
    targetCount: () => catalogue.targets().length,
    reloadTargets: () => catalogue.reload(),
    close() {
      closing ??= (async () => {
        scheduler.stop();
        catalogue.close();
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        // Acks need the sockets: write what is pending while agents are still connected.
        await ingest.close();
        await hub.close();
        server.closeAllConnections();
        await stopped;
      })();
      return closing;
    },
  };
}
