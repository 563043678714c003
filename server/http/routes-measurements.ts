import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { describeError } from '../../protocol/errors.ts';
import { normaliseTarget } from '../schedule/target-list.ts';
import type { ApiDeps } from './api-deps.ts';
import { apiError } from './api-error.ts';

/** `POST /api/v1/measurements {agentId, target}`: one measurement now, answered with its task id. */
export function measurementRoutes(deps: ApiDeps): Hono {
  const app = new Hono();
  app.post(
    '/api/v1/measurements',
    bodyLimit({
      maxSize: 16 * 1024,
      onError: (c) => apiError(c, 413, 'PAYLOAD_TOO_LARGE', 'the request body is larger than 16 KB'),
    }),
    async (c) => {
      let body: unknown;
      try {
        body = await c.req.json();
      } catch {
        return apiError(c, 400, 'BAD_REQUEST', 'the body must be JSON: {"agentId": "...", "target": "..."}');
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        return apiError(
          c,
          400,
          'BAD_REQUEST',
          'the body must be a JSON object: {"agentId": "...", "target": "..."}',
        );
      }
      const { agentId, target } = body as Record<string, unknown>;
      if (typeof agentId !== 'string' || agentId === '' || agentId.length > 64) {
        return apiError(c, 400, 'BAD_REQUEST', '"agentId" must be an agent id from GET /api/v1/agents');
      }
      if (typeof target !== 'string') {
        return apiError(c, 400, 'BAD_REQUEST', '"target" must be an IP address or hostname');
      }
      let normalised: string;
      try {
        normalised = normaliseTarget(target.trim());
      } catch (err) {
        return apiError(c, 400, 'TARGET_REFUSED', describeError(err));
      }
      const agent = await deps.store.getAgent(agentId);
      if (!agent) return apiError(c, 404, 'NOT_FOUND', `no agent with id "${agentId}"`);
      if (!deps.hub.isConnected(agentId)) {
        return apiError(
          c,
          409,
          'AGENT_NOT_CONNECTED',
          `agent ${agent.name} is not connected (last seen ${agent.lastSeen})`,
        );
      }
      const outcome = deps.scheduler.request(agentId, normalised);
      return c.json({ taskId: outcome.taskId, agentId, target: normalised, status: outcome.status }, 202);
    },
  );
  return app;
}
