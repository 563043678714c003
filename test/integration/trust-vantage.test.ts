/**
 * Issue 11, "vantage points are checked, not believed": with the real coordinator (task check on), an agent
 * verified by an operator in Los Angeles and an agent claiming New York whose mesh RTT to it is 0.8 ms. The
 * liar is shown `contradicted` with the numbers, and its detour is stored but never part of an incident,
 * while the same detour from an honest agent opens one (corroboration 1 here, so nothing else holds it back).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentLocationItem, IncidentItem } from '../../protocol/history-api.ts';
import { runCli } from '../helpers/run-cli.ts';
import { AGENT_LOCATION, DETOUR_OUTPUT, getJson } from './coordinator-harness.ts';
import {
  meshOutput,
  startTrustCoordinator,
  TaskAgent,
  type TrustCoordinator,
  until,
} from './trust-harness.ts';

const LA = { lat: 34.05, lon: -118.24 };
const NY = { lat: 40.71, lon: -74.01 };

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function statusOf(t: TrustCoordinator, agentId: string): Promise<string | undefined> {
  const { body } = await getJson(`${t.coordinator.url}/api/v1/agents`);
  return (body as { agents: { id: string; locationStatus: string }[] }).agents.find((a) => a.id === agentId)
    ?.locationStatus;
}

describe('vantage checks', () => {
  it('contradicts a New York claim 0.8 ms from a verified Los Angeles agent, and never counts its detours', async () => {
    const t = await startTrustCoordinator({ corroboration: 1 });
    cleanups.push(() => t.close());
    const la = await TaskAgent.connect(t, await t.agentToken('la-1', 'lars'), '127.0.31.1', LA);
    const liar = await TaskAgent.connect(t, await t.agentToken('ny-1', 'nick'), '127.0.32.1', NY);
    const honest = await TaskAgent.connect(
      t,
      await t.agentToken('sf-1', 'sam'),
      '127.0.33.1',
      AGENT_LOCATION,
    );
    cleanups.push(
      () => la.close(),
      () => liar.close(),
      () => honest.close(),
    );

    const verify = await runCli([
      'agents',
      'verify',
      la.agentId,
      '--note',
      'site visit',
      '--by',
      'ops',
      '--data',
      t.dataDir,
    ]);
    expect(verify.status, verify.stderr).toBe(0);
    await until('la-1 verified', async () =>
      (await statusOf(t, la.agentId)) === 'verified' ? true : undefined,
    );

    // The mesh: the liar traces the LA agent's public address and it answers in 0.8 ms.
    await liar.measure(t, '127.0.31.1', meshOutput('127.0.31.1', 0.8));
    await until('ny-1 contradicted', async () =>
      (await statusOf(t, liar.agentId)) === 'contradicted' ? true : undefined,
    );
    const { body } = await getJson(`${t.coordinator.url}/api/v1/agents/${liar.agentId}/location`);
    const location = body as AgentLocationItem;
    expect(location.reason).toMatch(
      /^claims 40\.71,-74\.01; 0\.8 ms from verified agent la-1 puts it within 80 km of 34\.05,-118\.24/,
    );
    expect(location.evidence).toEqual([
      expect.objectContaining({
        kind: 'mesh',
        subject: la.agentId,
        rttMs: 0.8,
        boundKm: 80,
        consistent: false,
      }),
    ]);
    const shown = await runCli(['agents', 'show', liar.agentId, '--data', t.dataDir]);
    expect(shown.stdout).toContain('status:   contradicted');

    await liar.measure(t, '192.0.2.50', DETOUR_OUTPUT);
    await honest.measure(t, '192.0.2.50', DETOUR_OUTPUT);
    const incident = await until('the honest agent`s incident', async () => {
      const { body: page } = await getJson(`${t.coordinator.url}/api/v1/incidents`);
      return (page as { incidents: IncidentItem[] }).incidents[0];
    });
    expect(incident.witnessList.map((w) => w.agentId)).toEqual([honest.agentId]);
    expect(incident.traceCount).toBe(1);
    // The liar's trace is kept, judged as it was, just never evidence.
    const { body: traces } = await getJson(`${t.coordinator.url}/api/v1/traces?agent=${liar.agentId}`);
    const items = (traces as { traces: { destinationIp: string | null; verdict: string; vantage: string }[] })
      .traces;
    expect(items.length).toBe(2);
    // Judged a detour as sent (the verdict is not rewritten), yet in no incident, and marked.
    expect(items.find((i) => i.destinationIp === '192.0.2.50')?.verdict).toBe('detour');
    expect(items.map((i) => i.vantage)).toEqual(['contradicted', 'contradicted']);
    // The map leaves it out, unless asked for that agent; the history's detour list keeps it, marked.
    const map = async (query: string) => {
      const { body: m } = await getJson(`${t.coordinator.url}/api/v1/map/detours${query}`);
      return (m as { items: { agent: { id: string } | null; vantage: string | null }[] }).items;
    };
    expect((await map('')).map((d) => [d.agent?.id, d.vantage])).toEqual([[honest.agentId, 'unverified']]);
    expect((await map('?agent=ny-1')).map((d) => d.vantage)).toEqual(['contradicted']);
    const { body: listed } = await getJson(`${t.coordinator.url}/api/v1/detours?agent=${liar.agentId}`);
    expect((listed as { detours: { vantage: string }[] }).detours.map((d) => d.vantage)).toEqual([
      'contradicted',
    ]);
    const evidence = await getJson(`${t.coordinator.url}/api/v1/incidents/${incident.id}`);
    expect(JSON.stringify(evidence.body)).not.toContain(liar.agentId);
  });
});
