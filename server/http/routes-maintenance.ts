import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { DetourwatchError } from '../../protocol/errors.ts';
import {
  MAINTENANCE_ITEM_PATH,
  MAINTENANCE_PATH,
  type MaintenanceRequest,
} from '../../protocol/maintenance-api.ts';
import { maintenanceItem, type WindowRequest, windowFromRequest } from '../alerts/maintenance-windows.ts';
import { ParameterError } from '../history/parameter-error.ts';
import type { ApiDeps } from './api-deps.ts';

const MAX_BODY_BYTES = 4 * 1024;
const BODY_SHAPE = '{"agent" or "target", "from"?, "until" or "for", "reason"}';
const FIELDS: readonly (keyof MaintenanceRequest)[] = ['agent', 'target', 'from', 'until', 'for', 'reason'];

/**
 * Maintenance windows (issue 14): list, add, remove; operator key only (they decide which alerts wake
 * someone, and their reasons are the operators' notes). Detection goes on during a window.
 */
export function maintenanceRoutes(deps: Pick<ApiDeps, 'store' | 'auth' | 'now'>): Hono {
  const app = new Hono();
  const agents = async () => (await deps.store.listAgents()).map((a) => ({ id: a.id, name: a.name }));

  app.get(MAINTENANCE_PATH, deps.auth.operator, async (c) => {
    const all = c.req.query('all');
    if (all !== undefined && all !== 'true' && all !== 'false')
      throw new ParameterError('all', 'must be true or false');
    const now = deps.now();
    const windows = await deps.store.listMaintenanceWindows(all === 'true' ? null : now);
    const known = await agents();
    return c.json({ windows: windows.map((w) => maintenanceItem(w, known, now)) });
  });

  app.post(
    MAINTENANCE_PATH,
    deps.auth.operator,
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new DetourwatchError('PAYLOAD_TOO_LARGE', 'the request body is larger than 4 KB');
      },
    }),
    async (c) => {
      let body: unknown;
      try {
        body = await c.req.json();
      } catch {
        throw new DetourwatchError('BAD_REQUEST', `the body must be JSON: ${BODY_SHAPE}`);
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new DetourwatchError('BAD_REQUEST', `the body must be a JSON object: ${BODY_SHAPE}`);
      }
      const fields = body as Record<string, unknown>;
      const request: WindowRequest = {};
      for (const [key, value] of Object.entries(fields)) {
        if (!(FIELDS as readonly string[]).includes(key))
          throw new ParameterError(key.slice(0, 40), `unknown field (${FIELDS.join(', ')})`);
        if (typeof value !== 'string') throw new ParameterError(key, 'must be a string');
        request[key as keyof WindowRequest] = value;
      }
      const now = deps.now();
      const known = await agents();
      const stored = await deps.store.addMaintenanceWindow(windowFromRequest(request, known, now));
      return c.json(maintenanceItem(stored, known, now), 201);
    },
  );

  app.delete(MAINTENANCE_ITEM_PATH, deps.auth.operator, async (c) => {
    const text = c.req.param('id') ?? '';
    const id = /^[1-9][0-9]{0,15}$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(id)) throw new ParameterError('id', 'must be a window id (a positive integer)');
    if (!(await deps.store.removeMaintenanceWindow(id)))
      throw new DetourwatchError('NOT_FOUND', `no maintenance window #${id}`);
    return c.body(null, 204);
  });
  return app;
}
