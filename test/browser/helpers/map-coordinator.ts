/**
 * A real coordinator for the map's browser tests: SQLite store in a temp directory, the real parsers and
 * analysis (over test databases that place documentation addresses, see map-world.ts), and an agent that
 * connects over the real WebSocket protocol and sends traceroute output. Every detour on the map got there
 * through ingest (parse -> geolocate -> verdict -> store); nothing writes rows directly.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { EngineName } from '../../../protocol/messages.ts';
import { createAnalyzer } from '../../../server/analyze/pipeline.ts';
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
  // The coordinator serves the map at `/` as `serve` does; only its page and polling interval are the test's.
  const test = await startTestCoordinator({
    analyzer,
    map: { tileUrl: null, tileAttribution: null, webRoot: WEB_DIST, pollMs: POLL_MS },
  }).catch((err: unknown) => {
    rmSync(dbDir, { recursive: true, force: true });
    throw err;
  });
  const clients: TestClient[] = [];

  return {
    url: test.coordinator.url,
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
      await test.close();
      rmSync(dbDir, { recursive: true, force: true });
    },
  };
}
