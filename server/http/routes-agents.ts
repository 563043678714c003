import { Hono } from 'hono';
import type { ApiDeps } from './api-deps.ts';

/**
 * `GET /api/v1/agents`. Lists what volunteers declared and how their connections behave. Never a token or
 * its hash, and not the address an agent connects from (a volunteer's home address is not for publishing).
 */
export function agentRoutes(deps: ApiDeps): Hono {
  const app = new Hono();
  app.get('/api/v1/agents', async (c) => {
    const agents = await deps.store.listAgents();
    const metrics = deps.hub.metrics();
    return c.json({
      agents: agents.map((a) => ({
        id: a.id,
        name: a.name,
        connected: deps.hub.isConnected(a.id),
        lastSeen: a.lastSeen,
        firstSeen: a.firstSeen,
        location: a.location,
        engines: a.engines,
        limits: a.limits,
        agentVersion: a.agentVersion,
        protocolVersion: a.protocolVersion,
        tokenId: a.tokenId,
        counters: metrics.agent(a.id),
      })),
    });
  });
  return app;
}
