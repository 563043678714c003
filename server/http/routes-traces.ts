import { Hono } from 'hono';
import type { ApiDeps } from './api-deps.ts';
import { apiError, positiveInt } from './api-error.ts';

const MAX_LIMIT = 1000;
const DEFAULT_LIMIT = 50;

/** `GET /api/v1/traces?limit=N` (newest first) and `GET /api/v1/traces/:id` (with hops and the full verdict). */
export function traceRoutes(deps: ApiDeps): Hono {
  const app = new Hono();
  app.get('/api/v1/traces', async (c) => {
    const raw = c.req.query('limit');
    const limit = raw === undefined ? DEFAULT_LIMIT : positiveInt(raw, MAX_LIMIT);
    if (limit === null) {
      return apiError(
        c,
        400,
        'BAD_REQUEST',
        `"limit" must be a whole number from 1 to ${MAX_LIMIT}, not "${raw}"`,
      );
    }
    return c.json({ traces: await deps.store.listTraces({ limit }) });
  });
  app.get('/api/v1/traces/:id', async (c) => {
    const id = positiveInt(c.req.param('id'), Number.MAX_SAFE_INTEGER);
    if (id === null) return apiError(c, 400, 'BAD_REQUEST', 'a trace id is a positive whole number');
    const trace = await deps.store.getTrace(id);
    if (!trace) return apiError(c, 404, 'NOT_FOUND', `no trace with id ${id}`);
    return c.json(trace);
  });
  return app;
}
