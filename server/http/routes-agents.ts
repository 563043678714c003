import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { DetourwatchError } from '../../protocol/errors.ts';
import type { AgentLocationItem } from '../../protocol/history-api.ts';
import { quote } from '../../protocol/values/quote.ts';
import { ParameterError } from '../history/parameter-error.ts';
import type { VantageRecord } from '../store/vantage-store.ts';
import type { ApiDeps } from './api-deps.ts';
import { roundedPosition } from './auth.ts';

/** An agent never evaluated yet (server/trust/vantage-checks.ts runs every few seconds). */
const NOT_YET: AgentLocationItem = {
  status: 'unverified',
  reason: 'not evaluated yet',
  radiusKm: null,
  evidence: [],
  override: null,
  evaluatedAt: null,
};

/** The location evidence as the caller may see it: other agents' positions rounded unless an operator asks. */
function locationView(v: VantageRecord | null, exact: boolean): AgentLocationItem {
  const location = v?.location ?? NOT_YET;
  if (exact) return location;
  return {
    ...location,
    evidence: location.evidence.map((e) => ({ ...e, position: roundedPosition(e.position) })),
  };
}

/**
 * `GET /api/v1/agents`. Lists what volunteers declared and how their connections behave. Never a token or
 * its hash, and not the address an agent connects from (a volunteer's home address is not for publishing).
 * Locations are rounded to 0.1 degree (about 10 km) unless the caller has an operator key.
 */
export function agentRoutes(deps: ApiDeps): Hono {
  const app = new Hono();
  app.get('/api/v1/agents', async (c) => {
    const exact = (await deps.auth.caller(c)).role === 'operator';
    const agents = await deps.store.listAgents();
    const vantages = new Map((await deps.store.listVantages()).map((v) => [v.agentId, v]));
    const implausible = await deps.store.implausibleCounts();
    const metrics = deps.hub.metrics();
    return c.json({
      agents: agents.map((a) => ({
        id: a.id,
        name: a.name,
        connected: deps.hub.isConnected(a.id),
        lastSeen: a.lastSeen,
        firstSeen: a.firstSeen,
        location: exact ? a.location : roundedPosition(a.location),
        locationPrecision: exact ? 'exact' : 'rounded-0.1deg',
        // Checked, not believed (server/trust/vantage.ts); the evidence: GET /api/v1/agents/{id}/location.
        locationStatus: vantages.get(a.id)?.status ?? 'unverified',
        // Stored traces no real tool could print (server/plausibility); many make its own readings untrusted.
        implausibleTraces: implausible.get(a.id) ?? 0,
        owner: a.owner,
        engines: a.engines,
        limits: a.limits,
        agentVersion: a.agentVersion,
        protocolVersion: a.protocolVersion,
        tokenId: a.tokenId,
        counters: metrics.agent(a.id),
      })),
    });
  });
  app.get('/api/v1/agents/:id/location', async (c) => {
    const id = c.req.param('id');
    const exact = (await deps.auth.caller(c)).role === 'operator';
    const agent = await deps.store.getAgent(id);
    if (!agent) throw new DetourwatchError('NOT_FOUND', `no agent with id ${quote(id)}`);
    return c.json({ agentId: id, ...locationView(await deps.store.getVantage(id), exact) });
  });
  // Changes what we believe: operators only. Recorded with the key, the time and the note; the checks pick it
  // up within seconds (the evidence stays listed beside the override).
  app.post(
    '/api/v1/agents/:id/verify',
    deps.auth.operator,
    bodyLimit({
      maxSize: 4096,
      onError: () => {
        throw new DetourwatchError('PAYLOAD_TOO_LARGE', 'the request body is larger than 4 KB');
      },
    }),
    async (c) => {
      const id = c.req.param('id');
      let body: unknown;
      try {
        body = await c.req.json();
      } catch {
        throw new DetourwatchError('BAD_REQUEST', 'the body must be JSON: {"note": "..."}');
      }
      const note = (body as { note?: unknown } | null)?.note;
      if (typeof note !== 'string' || note.trim() === '' || note.length > 1000) {
        throw new ParameterError('note', 'must say why, in 1 to 1000 characters');
      }
      const who = await deps.auth.caller(c);
      const override = { by: `operator key #${who.tokenId}`, note: note.trim(), at: deps.now() };
      if (!(await deps.store.setVantageOverride(id, override))) {
        throw new DetourwatchError('NOT_FOUND', `no agent with id ${quote(id)}`);
      }
      return c.json({ agentId: id, override: { ...override, at: new Date(override.at).toISOString() } });
    },
  );
  return app;
}
