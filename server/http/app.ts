import { Hono } from 'hono';
import type { ApiDeps } from './api-deps.ts';
import { answerErrors } from './error-response.ts';
import { openApiRoutes } from './openapi.ts';
import { rateLimit } from './rate-limit.ts';
import { agentPackageRoutes } from './routes-agent-package.ts';
import { agentRoutes } from './routes-agents.ts';
import { analyzeRoutes } from './routes-analyze.ts';
import { eventRoutes } from './routes-events.ts';
import { evidenceRoutes } from './routes-evidence.ts';
import { healthRoutes } from './routes-health.ts';
import { historyRoutes } from './routes-history.ts';
import { correctionRoutes } from './routes-location-corrections.ts';
import { locationRoutes } from './routes-locations.ts';
import { maintenanceRoutes } from './routes-maintenance.ts';
import { mapWebRoutes } from './routes-map.ts';
import { measurementRoutes } from './routes-measurements.ts';

/**
 * The coordinator's HTTP API, every route of it; errors are answered in one shape by error-response.ts
 * (internal ones are logged with their stack, never shown).
 */
export function createApp(deps: ApiDeps, log: (line: string) => void): Hono {
  const app = new Hono();
  // Every request counts against its key's or address's bucket; reads under /api/ are public unless
  // --public-read false (then /healthz and the map page's assets stay open; its API does not).
  app.use('*', rateLimit(deps.auth, deps.rateLimits, deps.now));
  app.use('/api/*', (c, next) =>
    c.req.method === 'GET' || c.req.method === 'HEAD' ? deps.auth.read(c, next) : next(),
  );
  app.route('/', healthRoutes(deps));
  app.route('/', agentRoutes(deps));
  app.route('/', measurementRoutes(deps));
  app.route('/', mapWebRoutes(deps.map));
  app.route('/', eventRoutes(deps.events));
  app.route('/', historyRoutes(deps));
  app.route('/', evidenceRoutes(deps));
  app.route('/', analyzeRoutes(deps));
  app.route('/', maintenanceRoutes(deps));
  // Fixed paths under /api/v1/locations/ before the report's `:ip`.
  app.route('/', correctionRoutes(deps));
  app.route('/', locationRoutes(deps));
  app.route('/', openApiRoutes());
  // The volunteers' page and the agent package (built by `npm run build:agent`).
  app.route('/', agentPackageRoutes({ publicUrl: null }));
  return answerErrors(app, log);
}
