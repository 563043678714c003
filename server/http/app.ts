import { Hono } from 'hono';
import type { ApiDeps } from './api-deps.ts';
import { answerErrors } from './error-response.ts';
import { openApiRoutes } from './openapi.ts';
import { agentPackageRoutes } from './routes-agent-package.ts';
import { agentRoutes } from './routes-agents.ts';
import { healthRoutes } from './routes-health.ts';
import { historyRoutes } from './routes-history.ts';
import { mapWebRoutes } from './routes-map.ts';
import { measurementRoutes } from './routes-measurements.ts';

/**
 * The coordinator's HTTP API, every route of it; errors are answered in one shape by error-response.ts
 * (internal ones are logged with their stack, never shown).
 */
export function createApp(deps: ApiDeps, log: (line: string) => void): Hono {
  const app = new Hono();
  app.route('/', healthRoutes(deps));
  app.route('/', agentRoutes(deps));
  app.route('/', measurementRoutes(deps));
  app.route('/', mapWebRoutes(deps.map));
  app.route('/', historyRoutes(deps));
  app.route('/', openApiRoutes());
  // The volunteers' page and the agent package (built by `npm run build:agent`).
  app.route('/', agentPackageRoutes({ publicUrl: null }));
  return answerErrors(app, log);
}
