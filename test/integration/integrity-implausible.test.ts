/**
 * Issue 19: an agent that answers its tasks with traces no real tool prints. They are stored, marked
 * `implausible` with their problems in the API, the trace's evidence bundle and the command line, counted per
 * agent, never listed as detours, incidents or on the map, and enough of them keep the agent's own readings
 * from verifying its location. A real coordinator on 127.0.0.1 over SQLite, task check on, hand-written agents.
 */
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../cli/io.ts';
import { main } from '../../cli/main.ts';
import type { TraceDetail } from '../../protocol/history-api.ts';
import type { BundleFile } from '../../server/evidence/bundle-document.ts';
import { IMPLAUSIBLE_MIN } from '../../server/trust/vantage.ts';
import { AGENT_LOCATION, DOMESTIC_OUTPUT, tracerouteOutput } from './coordinator-harness.ts';
import { startTrustCoordinator, TaskAgent, type TrustCoordinator, until } from './trust-harness.ts';

const TARGET = '192.0.2.50';
/** Through the Shanghai router DETOUR_OUTPUT uses, but answered 3,000,000 ms late: traceroute waits 5 s. */
const LATE_OUTPUT = tracerouteOutput(TARGET, [
  '10.0.0.1  0.4 ms  0.3 ms  0.3 ms',
  '198.51.100.7  3000000.0 ms  3000001.0 ms *',
  `${TARGET}  3000100.0 ms  3000100.1 ms  3000100.2 ms`,
]);

async function run(args: string[]): Promise<{ status: number; out: string }> {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (d) => {
    out += d;
  });
  const io: CliIo = { stdin: new PassThrough(), stdout, stderr: new PassThrough(), isTty: false };
  return { status: await main(args, io), out };
}

describe('an agent sending implausible traces', () => {
  let t: TrustCoordinator;
  let liar: TaskAgent;
  let honest: TaskAgent;
  const get = async <T>(pathname: string): Promise<T> => {
    const res = await fetch(`${t.coordinator.url}${pathname}`, {
      headers: { authorization: `Bearer ${t.operatorKey}` },
    });
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  };

  beforeAll(async () => {
    t = await startTrustCoordinator();
    liar = await TaskAgent.connect(t, await t.agentToken('liar-1', 'lee'), '127.0.41.1', AGENT_LOCATION);
    honest = await TaskAgent.connect(t, await t.agentToken('honest-1', 'hana'), '127.0.42.1', AGENT_LOCATION);
    // The implausible answers first, then one real trace that would verify the agent's location.
    for (let i = 0; i < IMPLAUSIBLE_MIN; i++) await liar.measure(t, TARGET, LATE_OUTPUT);
    await liar.measure(t, TARGET, DOMESTIC_OUTPUT);
    await honest.measure(t, TARGET, DOMESTIC_OUTPUT);
  });

  afterAll(async () => {
    liar?.close();
    honest?.close();
    await t?.close();
  });

  it('counts them per agent in GET /api/v1/agents', async () => {
    const { agents } = await get<{ agents: { id: string; implausibleTraces: number }[] }>('/api/v1/agents');
    expect(agents.find((a) => a.id === liar.agentId)?.implausibleTraces).toBe(IMPLAUSIBLE_MIN);
    expect(agents.find((a) => a.id === honest.agentId)?.implausibleTraces).toBe(0);
  });

  it('shows each as implausible with its problems in the traces API', async () => {
    const { traces } = await get<{ traces: { id: number; verdict: string; agentId: string }[] }>(
      `/api/v1/traces?agent=${liar.agentId}&verdict=implausible`,
    );
    expect(traces).toHaveLength(IMPLAUSIBLE_MIN);
    const detail = await get<TraceDetail>(`/api/v1/traces/${traces[0]?.id}`);
    expect(detail.verdict).toBe('implausible');
    expect(detail.verdictDetail.problems?.map((p) => p.code)).toContain('rtt-after-wait');
    expect(detail.verdictDetail.problems?.find((p) => p.code === 'rtt-after-wait')?.message).toContain(
      'TTL 2',
    );
  });

  it('never lists them as detours, incidents or on the map', async () => {
    expect((await get<{ detours: unknown[] }>('/api/v1/detours')).detours).toEqual([]);
    expect((await get<{ incidents: unknown[] }>('/api/v1/incidents')).incidents).toEqual([]);
    expect((await get<{ items: unknown[] }>('/api/v1/map/detours')).items).toEqual([]);
    // Nor does the command line.
    const detours = await run(['detours', '--format', 'json', '--data', t.dataDir]);
    expect(detours.status).toBe(0);
    const incidents = await run(['incidents', '--format', 'json', '--data', t.dataDir]);
    expect(incidents.status).toBe(0);
    expect(JSON.parse(detours.out)).toEqual([]);
    expect(JSON.parse(incidents.out)).toMatchObject({ incidents: [] });
  });

  it("puts the problems in the trace's evidence bundle and its report", async () => {
    const { traces } = await get<{ traces: { id: number }[] }>(
      `/api/v1/traces?agent=${liar.agentId}&verdict=implausible`,
    );
    const bundle = await get<BundleFile>(`/api/v1/traces/${traces[0]?.id}/bundle`);
    const [trace] = bundle.document.traces;
    expect(trace?.verdict.verdict).toBe('implausible');
    expect(trace?.verdict.problems?.map((p) => p.code)).toContain('rtt-after-wait');
    expect(bundle.html).toContain('implausible because');
    expect(bundle.html).toContain('rtt-after-wait');
  });

  it("keeps the agent's own readings from verifying it, and says why", async () => {
    type Location = { status: string; reason: string; evidence: { label: string }[] };
    const evaluated = (id: string) => async () => {
      const l = await get<Location>(`/api/v1/agents/${id}/location`);
      return l.evidence.length > 0 ? l : undefined;
    };
    const clean = await until('the honest agent evaluated', evaluated(honest.agentId));
    expect(clean.status).toBe('verified');
    const distrusted = await until('the liar evaluated', evaluated(liar.agentId));
    const why = `${IMPLAUSIBLE_MIN} of its ${IMPLAUSIBLE_MIN + 1} recent traces are implausible`;
    expect(distrusted.status).toBe('unverified');
    expect(distrusted.reason).toContain(why);
    expect(distrusted.evidence.every((e) => e.label.includes(`cannot verify: ${why}`))).toBe(true);
  });

  it('counts them in `agents show` and `agents list`', async () => {
    const show = await run(['agents', 'show', liar.agentId, '--data', t.dataDir]);
    expect(show.status).toBe(0);
    expect(show.out).toContain(`traces:   ${IMPLAUSIBLE_MIN + 1} stored, ${IMPLAUSIBLE_MIN} implausible`);
    const json = await run(['agents', 'show', liar.agentId, '--json', '--data', t.dataDir]);
    expect(JSON.parse(json.out)).toMatchObject({ implausibleTraces: IMPLAUSIBLE_MIN });
    const list = await run(['agents', 'list', '--data', t.dataDir]);
    const row = list.out.split('\n').find((l) => l.startsWith(liar.agentId)) ?? '';
    expect(row.split(/\s+/)).toContain(String(IMPLAUSIBLE_MIN));
    expect(list.out).toContain('IMPLAUSIBLE');
  });
});
