import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { DetourwatchError } from '../../protocol/errors.ts';
import { quote } from '../../protocol/values/quote.ts';
import { ParameterError } from '../history/parameter-error.ts';
import { normaliseTarget } from '../schedule/target-list.ts';
import type { ApiDeps } from './api-deps.ts';
import {
  MEASUREMENT_PATH,
  measurementStatus,
  requestedTasks,
  TASK_ID_PATTERN,
  watchedRequests,
} from './measurement-status.ts';

const MAX_BODY_BYTES = 16 * 1024;
const BODY_SHAPE = '{"agentId": "...", "target": "..."}';

/** `POST /api/v1/measurements {agentId, target}`: one measurement now, answered with its task id. */
export function measurementRoutes(
  given: Pick<ApiDeps, 'store' | 'hub' | 'scheduler' | 'auth' | 'peers' | 'now'>,
): Hono {
  // What was requested here is remembered until the store has its task (GET below, issue 14).
  const requested = requestedTasks(() => given.now());
  const deps = { ...given, ...watchedRequests(given, requested) };
  const app = new Hono();
  app.post(
    '/api/v1/measurements',
    // It steers volunteers' probes: operators only (auth.ts).
    deps.auth.operator,
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new DetourwatchError('PAYLOAD_TOO_LARGE', 'the request body is larger than 16 KB');
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
      const { agentId, target } = body as Record<string, unknown>;
      if (typeof agentId !== 'string' || agentId === '' || agentId.length > 64) {
        throw new ParameterError('agentId', 'must be an agent id from GET /api/v1/agents');
      }
      if (typeof target !== 'string') {
        throw new ParameterError('target', 'must be an IP address or hostname');
      }
      // Refused with TARGET_REFUSED: nothing that could read as an option reaches an agent.
      const normalised = normaliseTarget(target.trim());
      const agent = await deps.store.getAgent(agentId);
      if (!agent) throw new DetourwatchError('NOT_FOUND', `no agent with id ${quote(agentId)}`);
      if (!deps.hub.isConnected(agentId)) {
        // Connected to another coordinator of this database: that one sends the task (server/cluster).
        const routed = deps.peers
          ? await deps.peers.request(agentId, normalised).catch((err: unknown) => {
              if (err instanceof DetourwatchError && err.code === 'AGENT_NOT_CONNECTED') return null;
              throw err;
            })
          : null;
        if (routed === null) {
          throw new DetourwatchError(
            'AGENT_NOT_CONNECTED',
            `agent ${agent.name} is not connected (last seen ${agent.lastSeen})`,
          );
        }
        return c.json({ taskId: routed.taskId, agentId, target: normalised, status: routed.status }, 202);
      }
      const outcome = deps.scheduler.request(agentId, normalised);
      return c.json({ taskId: outcome.taskId, agentId, target: normalised, status: outcome.status }, 202);
    },
  );
  app.get(MEASUREMENT_PATH, async (c) => {
    const taskId = c.req.param('taskId') ?? '';
    if (!TASK_ID_PATTERN.test(taskId)) {
      throw new ParameterError('taskId', 'must be a task id from POST /api/v1/measurements (tk_...)');
    }
    const found = await measurementStatus(taskId, { store: deps.store, requested, now: () => deps.now() });
    if (found === null)
      throw new DetourwatchError('NOT_FOUND', `no measurement with task id ${quote(taskId)}`);
    return c.json(found);
  });
  return app;
}
