import { Hono } from 'hono';
import { DetourwatchError, describeError } from '../../protocol/errors.ts';
import { AGENT_VERSION, PROTOCOL_VERSION } from '../../protocol/version.ts';
import type { ApiDeps } from './api-deps.ts';

/** `GET /healthz`: liveness for load balancers (503 when the store fails), and the counts an operator glances at. */
export function healthRoutes(deps: ApiDeps): Hono {
  const app = new Hono();
  app.get('/healthz', async (c) => {
    let counts: Awaited<ReturnType<ApiDeps['store']['counts']>>;
    try {
      counts = await deps.store.counts();
    } catch (err) {
      throw new DetourwatchError('UNAVAILABLE', `store: ${describeError(err)}`, { cause: err });
    }
    return c.json({
      ok: true,
      version: AGENT_VERSION,
      protocolVersion: PROTOCOL_VERSION,
      uptimeSeconds: Math.round((deps.now() - deps.startedAt) / 1000),
      agentsConnected: deps.hub.connected().length,
      counts,
      ingest: { ...deps.ingest.stats(), pending: deps.ingest.pending() },
      hub: deps.hub.metrics().global,
      schedule: deps.scheduler.stats(),
    });
  });
  return app;
}
