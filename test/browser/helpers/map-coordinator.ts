/**
 * A real coordinator for the map's browser tests: SQLite store in a temp directory, the real parsers and
 * analysis (over test databases that place documentation addresses, see map-world.ts), and an agent that
 * connects over the real WebSocket protocol and sends traceroute output. Every detour on the map got there
 * through ingest (parse -> geolocate -> verdict -> store); nothing writes rows directly.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import type { EngineName } from '../../../protocol/messages.ts';
import { createAnalyzer } from '../../../server/analyze/pipeline.ts';
import { type SqliteMapSource, sqliteMapSource } from '../../../server/http/map-source.ts';
import { mapWebRoutes } from '../../../server/http/routes-map.ts';
import type { SqliteStore } from '../../../server/store/sqlite-store.ts';
import {
  ackFor,
  startTestCoordinator,
  TestClient,
  type TestCoordinator,
} from '../../integration/coordinator-harness.ts';
import { writeMapWorld } from './map-world.ts';
import { WEB_DIST } from './web-build.ts';

/** The live feed looks for new detours this often in tests (1 s in production). */
const POLL_MS = 100;

export interface MapAgent {
  client: TestClient & { agentId: string };
  /** Sends each output as one result and resolves once the coordinator has stored and acknowledged all. */
  send(results: { output: string; engine: EngineName; target: string }[]): Promise<void>;
}

export interface MapCoordinator {
  /** Where analysts open the map. */
  url: string;
  test: TestCoordinator;
  /** Connects an agent (named after its token) at a declared location. */
  agent(name: string, location: { lat: number; lon: number }): Promise<MapAgent>;
  close(): Promise<void>;
}

let sent = 0;

export async function startMapCoordinator(): Promise<MapCoordinator> {
  const dbDir = mkdtempSync(path.join(tmpdir(), 'dw-map-world-'));
  const analyzer = createAnalyzer({ ...writeMapWorld(dbDir), lookUpDocumentation: true });
  const test = await startTestCoordinator({
    analyze: (trace, position) => analyzer.analyze(trace, position),
  });
  const source: SqliteMapSource = sqliteMapSource((test.store as SqliteStore).database, { pollMs: POLL_MS });
  // The coordinator's own app does not mount the map yet (see the report of issue 5): serve it beside it,
  // over the same store.
  const app = mapWebRoutes({ source, config: { tileUrl: null, tileAttribution: null }, webRoot: WEB_DIST });
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const clients: TestClient[] = [];

  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    test,
    async agent(name, location) {
      const { token } = await test.token(name);
      const client = await TestClient.connect(test.coordinator.agentUrl, token, {
        location,
        engines: ['scamper', 'traceroute'],
      });
      clients.push(client);
      return {
        client,
        async send(results) {
          const ids = results.map(({ output, engine, target }) => {
            const resultId = `map-test-${process.pid}-${++sent}`;
            client.send({
              type: 'result',
              resultId,
              taskId: null,
              target,
              engine,
              output,
              startedAt: new Date().toISOString(),
              durationMs: 1500,
            });
            return resultId;
          });
          for (const id of ids) await client.waitFor(ackFor(id), 30_000);
        },
      };
    },
    async close() {
      for (const c of clients) c.close();
      source.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await test.close();
      rmSync(dbDir, { recursive: true, force: true });
    },
  };
}
