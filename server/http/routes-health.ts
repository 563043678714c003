import { Hono } from 'hono';
import { describeError } from '../../protocol/errors.ts';
import { AGENT_VERSION, PROTOCOL_VERSION } from '../../protocol/version.ts';
import type { ApiDeps } from './api-deps.ts';

/** `GET /healthz`: liveness for load balancers, and the counts an operator glances at. */
export function healthRoutes(deps: ApiDeps): Hono {
  const app = new Hono();
  app.get('/healthz', async (c) => {
    try {
      const counts = await deps.store.counts();
      return c.json({
        ok: true,
        version: AGENT_VERSION,
        protocolVersion: PROTOCOL_VERSION,
        uptimeSeconds: Math.round((deps.now().getTime() - deps.startedAt.getTime()) / 1000),
        agentsConnected: deps.hub.connected().length,
        counts,
        ingest: { ...deps.ingest.stats(), pending: deps.ingest.pending() },
        hub: deps.hub.metrics().global,
        schedule: deps.scheduler.stats(),
      });
    } catch (err) {
      return c.json(
        { ok: false, error: { code: 'UNAVAILABLE', message: `store: ${describeError(err)}` } },
        503,
      );
    }
  });
  return app;
}
