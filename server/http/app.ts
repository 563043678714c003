import { Hono } from 'hono';
import type { ApiDeps } from './api-deps.ts';
import { apiError } from './api-error.ts';
import { openApiRoutes } from './openapi.ts';
import { agentRoutes } from './routes-agents.ts';
import { healthRoutes } from './routes-health.ts';
import { historyRoutes } from './routes-history.ts';
import { mapWebRoutes } from './routes-map.ts';
import { measurementRoutes } from './routes-measurements.ts';
import { traceRoutes } from './routes-traces.ts';

/** The coordinator's HTTP API. Errors are JSON; internal ones are logged, never shown with a stack. */
export function createApp(deps: ApiDeps, log: (line: string) => void): Hono {
  const app = new Hono();
  app.route('/', healthRoutes(deps));
  app.route('/', agentRoutes(deps));
  app.route('/', measurementRoutes(deps));
  if (deps.map) app.route('/', mapWebRoutes(deps.map));
  if (deps.history) {
    // Serves /api/v1/traces too, filtered and paged; the OpenAPI document describes this full set.
    app.route('/', historyRoutes(deps.history));
    // Mounted last: it lists the map's routes when they are mounted above.
    app.route('/', openApiRoutes({ map: app.routes.some((r) => r.path.startsWith('/api/v1/map/')) }));
  } else {
    app.route('/', traceRoutes(deps));
  }
  app.notFound((c) => apiError(c, 404, 'NOT_FOUND', `no route ${c.req.method} ${c.req.path}`));
  app.onError((err, c) => {
    log(`http: ${c.req.method} ${c.req.path}: ${err.stack ?? err.message}`);
    return apiError(c, 500, 'INTERNAL', 'internal error; the coordinator log has the details');
  });
  return app;
}
