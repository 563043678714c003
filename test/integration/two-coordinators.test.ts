/**
 * Issue 12, several coordinators on one database: two real `detourwatch serve` processes on one fresh
 * PostgreSQL database, real agents (stand-in engines replaying recorded mtr output) behind a load balancer
 * and directly on the second, protocol agents reporting a detour on both, and a webhook receiver. One
 * coordinator is SIGKILLed while results stream in: every result an agent saw acknowledged is stored once,
 * the survivor takes the dead one's agents over when they reconnect (after its lease ran out), the incident is
 * opened once, and each webhook event is delivered once (the dead one's unsent delivery by the survivor).
 * A measurement asked of one coordinator for an agent on the other is routed there, answered and stored.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type AgentProcess, killAgent, spawnAgent } from '../agent/agent-process.ts';
import { startReceiver } from '../alerts/webhook-receiver.ts';
import { writeWorldDatabases } from '../helpers/analyze-world.ts';
import { testDatabase } from '../helpers/postgres.ts';
import { requirement, SKIP_REASONS, skipUnless } from '../helpers/skips.ts';
import { createStandInEngines, type StandInEngines } from '../helpers/stand-in-engines.ts';
import { DETOUR_OUTPUT } from './coordinator-harness.ts';
import {
  AnsweringAgent,
  killProcess,
  type ServeProcess,
  startBalancer,
  startServeProcess,
  tokenFor,
  until,
} from './two-coordinators-harness.ts';

const provided = inject('postgres');
const postgres = requirement(provided.url !== null, SKIP_REASONS.postgres, provided.reason ?? '');
const SECRET = 'two coordinators secret';
const DETOUR_TARGET = '192.0.2.50';
// serve's default: a killed coordinator's agents move at once (its database session is gone), not at expiry.
const LEASE = '20s';
const LEASE_MS = 20_000;

interface ApiAgent {
  id: string;
  name: string;
  connected: boolean;
}
interface ApiTrace {
  id: number;
  resultId: string | null;
  agentId: string | null;
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function allTraces(base: string): Promise<ApiTrace[]> {
  const out: ApiTrace[] = [];
  let cursor: string | null = null;
  do {
    const page: { traces: ApiTrace[]; nextCursor: string | null } = await getJson(
      `${base}/api/v1/traces?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    out.push(...page.traces);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

const agents = async (base: string) =>
  (await getJson<{ agents: ApiAgent[] }>(`${base}/api/v1/agents`)).agents;

describe('two coordinators on one PostgreSQL database', {
  ...skipUnless('the two-coordinator test', postgres),
  timeout: 120_000,
}, () => {
  let tmp: string;
  let db: { url: string; drop(): Promise<void> };
  let engines: StandInEngines;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let statuses: number[];
  let a: ServeProcess | undefined;
  let b: ServeProcess | undefined;
  const probes: AgentProcess[] = [];
  const answering: AnsweringAgent[] = [];
  const closers: (() => Promise<void>)[] = [];
  let operatorKey: string;
  let serveArgs: (name: string) => string[];
  let serveEnv: Record<string, string>;
  const transcript: string[] = [];
  const note = (line: string) => transcript.push(`${new Date().toISOString()} ${line}`);

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(tmpdir(), 'dw-two-'));
    db = await testDatabase(provided.url as string);
    engines = await createStandInEngines({ mode: 'trace' });
    statuses = [503];
    receiver = await startReceiver(SECRET, statuses);
    const world = writeWorldDatabases(tmp);
    const targets = path.join(tmp, 'targets.txt');
    writeFileSync(targets, '127.0.0.1\n');
    serveEnv = { DETOURWATCH_DATA: path.join(tmp, 'data'), DETOURWATCH_WEBHOOK_SECRET: SECRET };
    serveArgs = (name) => [
      '--database',
      db.url,
      '--instance-id',
      name,
      '--lease',
      LEASE,
      '--targets',
      targets,
      '--interval',
      '1s',
      '--heartbeat',
      '1s',
      '--city-db',
      world.cityDb,
      '--asn-db',
      world.asnDb,
      '--look-up-documentation',
      '--no-resolve',
      '--corroboration',
      '1',
      '--webhook',
      receiver.url,
    ];
    // The first start migrates the database; the second finds it done.
    a = await startServeProcess('A', serveArgs('coord-a'), serveEnv);
    b = await startServeProcess('B', serveArgs('coord-b'), serveEnv);
    operatorKey = await tokenFor(db.url, 'ops', ['--role', 'operator']);
    note(
      `coordinator A ${a.url} and coordinator B ${b.url} on one database (${db.url.replace(/\/\/[^@]*@/, '//')})`,
    );
  });

  afterAll(async () => {
    for (const p of probes) await killAgent(p);
    for (const x of answering) x.close();
    for (const c of closers.reverse()) await c();
    await killProcess(a);
    await killProcess(b);
    await receiver?.close();
    await engines?.remove();
    await db?.drop();
    if (process.env.DETOURWATCH_TRANSCRIPT)
      writeFileSync(process.env.DETOURWATCH_TRANSCRIPT, `${transcript.join('\n')}\n`);
    rmSync(tmp, { recursive: true, force: true });
  });

  const measure = async (on: ServeProcess, agentId: string, target: string) => {
    const res = await fetch(`${on.url}/api/v1/measurements`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${operatorKey}` },
      body: JSON.stringify({ agentId, target }),
    });
    return { status: res.status, body: (await res.json()) as { taskId?: string; error?: { code: string } } };
  };

  it('routes a measurement asked of A for an agent on B to B; its result is stored; the detour shows on both', async () => {
    if (!a || !b) throw new Error('no coordinators');
    const onA = await AnsweringAgent.connect(
      a.agentUrl,
      await tokenFor(db.url, 'detour-a', ['--owner', 'o1']),
      '127.0.1.1',
      DETOUR_TARGET,
      DETOUR_OUTPUT,
    );
    const onB = await AnsweringAgent.connect(
      b.agentUrl,
      await tokenFor(db.url, 'detour-b', ['--owner', 'o2']),
      '127.0.2.1',
      DETOUR_TARGET,
      DETOUR_OUTPUT,
    );
    answering.push(onA, onB);
    // The detour reported on A, while the webhook receiver fails: A's delivery stays pending, retrying.
    const first = await measure(a, onA.agentId, DETOUR_TARGET);
    expect(first.status).toBe(202);
    const ackA = await until('the detour on A stored', () => onA.ackOf(first.body.taskId as string));
    expect(
      ackA,
      `${JSON.stringify(ackA)}\n${a
        .output()
        .split('\n')
        .filter((l) => l.includes('hub:'))
        .join('\n')}`,
    ).toMatchObject({ type: 'ack', status: 'stored' });
    // Asked of A, for the agent connected to B: routed, sent by B, answered and stored.
    const routed = await measure(a, onB.agentId, DETOUR_TARGET);
    note(
      `POST ${a.url}/api/v1/measurements {agentId: ${onB.agentId} (detour-b, connected to B), target: ${DETOUR_TARGET}} -> ${routed.status} ${JSON.stringify(routed.body)}`,
    );
    expect(routed.status).toBe(202);
    const ack = await until('the routed result stored', () => onB.ackOf(routed.body.taskId as string));
    expect(ack).toMatchObject({ type: 'ack', status: 'stored' });
    const storedOnB = (await allTraces(b.url)).filter((t) => t.resultId === `r-${routed.body.taskId}`);
    expect(storedOnB).toHaveLength(1);
    note(`detour-b's answer acknowledged by B (${JSON.stringify(ack)}); stored as trace ${storedOnB[0]?.id}`);
    const detoursOnA = await getJson<{ detours: { id: number; agentId: string | null }[] }>(
      `${a.url}/api/v1/detours`,
    );
    note(
      `GET ${a.url}/api/v1/detours (map/API on A) -> ${JSON.stringify(detoursOnA.detours.map((d) => ({ id: d.id, agentId: d.agentId })))}`,
    );
    expect(detoursOnA.detours.map((d) => d.id)).toContain(storedOnB[0]?.id);
    // The map's page on A draws the detour an agent on B measured (the map polls the shared store).
    const mapOnA = await until("the map on A to show B's detour", async () => {
      const page = await getJson<{
        items: { id: number; agent: { name: string } | null; countries: string[] }[];
      }>(`${a?.url}/api/v1/map/detours`);
      return page.items.some((d) => d.id === storedOnB[0]?.id) ? page : undefined;
    });
    note(
      `GET ${a.url}/api/v1/map/detours (the map on A) -> ${JSON.stringify(mapOnA.items.map((d) => ({ id: d.id, agent: d.agent?.name, countries: d.countries })))}`,
    );
    // An agent nobody holds: a coded refusal, not a hang.
    const gone = await measure(b, 'ag_nobody', DETOUR_TARGET);
    expect(gone.status).toBe(404);
  });

  it('SIGKILL of A mid-stream: nothing acknowledged is lost, B takes its agents over, no incident or webhook doubled', async () => {
    if (!a || !b) throw new Error('no coordinators');
    const coordA = a;
    const coordB = b;
    const balancer = await startBalancer(() => [coordA.port, coordB.port]);
    closers.push(balancer.close);
    const probeArgs = (outbox: string, server: string) => [
      '--server',
      server,
      '--outbox',
      path.join(tmp, outbox),
      '--allow-special-targets',
      '--engine',
      'mtr',
      '--max-concurrent',
      '4',
      '--max-per-minute',
      '600',
    ];
    const behind = spawnAgent(probeArgs('outbox-1', `ws://127.0.0.1:${balancer.port}`), {
      DETOURWATCH_TOKEN: await tokenFor(db.url, 'probe-1'),
      ...engines.env,
    });
    const direct = spawnAgent(probeArgs('outbox-2', `ws://127.0.0.1:${coordB.port}`), {
      DETOURWATCH_TOKEN: await tokenFor(db.url, 'probe-2'),
      ...engines.env,
    });
    probes.push(behind, direct);
    // Acknowledged: stored now, or found stored already (a result whose ack a dead coordinator never sent).
    const acked = (p: AgentProcess) =>
      p
        .lines('result-acked')
        .filter((l) => /status=(stored|duplicate)/.test(l))
        .map((l) => /resultId=(\S+)/.exec(l)?.[1] as string);
    const refused = (p: AgentProcess) => p.lines('result-refused');
    await until(
      'both probes acknowledged',
      () => (acked(behind).length >= 3 && acked(direct).length >= 3 ? true : undefined),
      40_000,
    );
    const onA = await agents(coordA.url);
    const probe1 = onA.find((x) => x.name === 'probe-1');
    expect(probe1?.connected).toBe(true);

    // Mid-batch: the results table locked, A holds results it received and cannot commit (nor acknowledge).
    const blocker = new pg.Client({ connectionString: db.url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE results IN SHARE ROW EXCLUSIVE MODE');
    const inBatch = () => behind.lines('task-finished').length - acked(behind).length;
    await until("probe-1 results in A's batch", () => (inBatch() >= 2 ? true : undefined), 20_000);
    const unacknowledgedAtKill = inBatch();
    await killProcess(coordA);
    const killedAt = Date.now();
    await blocker.query('COMMIT');
    await blocker.end();
    note(
      `SIGKILL coordinator A mid-batch (probe-1: ${acked(behind).length} results acknowledged, ` +
        `${unacknowledgedAtKill} sent and not acknowledged)`,
    );
    const ackedBefore = acked(behind).length;
    // detour-a's lease names the dead A, whose session is gone: a measurement for it asked of B is refused at
    // once, coded, instead of waiting for A's answer.
    const detourA = (await agents(coordB.url)).find((x) => x.name === 'detour-a');
    const askedOfDead = measure(coordB, detourA?.id as string, DETOUR_TARGET);
    // The receiver recovers: the delivery A left pending is B's to send once A's claim ran out.
    statuses.splice(0, statuses.length, 200);

    await until(
      'probe-1 on B, acknowledged again',
      () => (acked(behind).length > ackedBefore + 2 ? true : undefined),
      40_000,
    );
    note(
      `probe-1 reconnected through the balancer to B and was acknowledged again after ${Date.now() - killedAt} ms`,
    );
    expect(Date.now() - killedAt).toBeLessThan(LEASE_MS);
    const deadAnswer = await askedOfDead;
    note(
      `POST ${coordB.url}/api/v1/measurements for detour-a (held by the dead A) -> ${deadAnswer.status} ${JSON.stringify(deadAnswer.body)}`,
    );
    expect(deadAnswer).toMatchObject({ status: 409, body: { error: { code: 'AGENT_NOT_CONNECTED' } } });
    const onB = await agents(coordB.url);
    expect(onB.find((x) => x.name === 'probe-1')?.connected).toBe(true);
    expect(onB.find((x) => x.name === 'probe-2')?.connected).toBe(true);
    // detour-a died with A: it shows disconnected (A's lease is nobody's once A's session is gone).
    await until('detour-a shown disconnected', async () =>
      (await agents(coordB.url)).find((x) => x.name === 'detour-a')?.connected === false ? true : undefined,
    );

    // Every acknowledged result is in the store once; nothing stored twice at all.
    await until(
      'webhooks settled',
      () => (receiver.received.some((r) => r.status === 200) ? true : undefined),
      20_000,
    );
    behind.child.kill('SIGTERM');
    direct.child.kill('SIGTERM');
    await behind.exited;
    await direct.exited;
    const traces = await allTraces(coordB.url);
    const stored = traces.map((t) => t.resultId).filter((r): r is string => r !== null);
    expect(new Set(stored).size).toBe(stored.length);
    const seen = new Set(stored);
    const lost = [...acked(behind), ...acked(direct)].filter((r) => !seen.has(r));
    expect(lost).toEqual([]);
    expect([...refused(behind), ...refused(direct)]).toEqual([]);
    // What was stored is what was acknowledged: the probes' results and the two detours answered above.
    expect(stored.length).toBe(new Set([...acked(behind), ...acked(direct)]).size + 2);
    note(
      `${acked(behind).length + acked(direct).length} results acknowledged to the agents, ${stored.length} stored, each once, none lost`,
    );

    // One incident for the detour's cause, opened once; each webhook event delivered once.
    const { incidents } = await getJson<{ incidents: { id: number; key?: string }[] }>(
      `${coordB.url}/api/v1/incidents`,
    );
    expect(incidents).toHaveLength(1);
    const bodies = receiver.received.map((r) => ({
      ...(JSON.parse(r.body) as { event: string; deliveryId: number; incident: { id: number } }),
      status: r.status,
    }));
    expect(receiver.received.every((r) => r.signatureValid)).toBe(true);
    const delivered = bodies.filter((x) => x.status === 200);
    const byEvent = new Map<string, number[]>();
    for (const x of delivered)
      byEvent.set(`${x.event}#${x.incident.id}`, [
        ...(byEvent.get(`${x.event}#${x.incident.id}`) ?? []),
        x.deliveryId,
      ]);
    expect(byEvent.get(`incident.opened#${incidents[0]?.id}`)).toHaveLength(1);
    for (const ids of byEvent.values()) expect(ids).toHaveLength(1);
    note(
      `incidents: ${incidents.length}; webhook events delivered: ${[...byEvent.keys()].join(', ')} (each once; ${bodies.length} attempts in all)`,
    );
    note(
      `B's log on the takeover: ${coordB
        .output()
        .split('\n')
        .filter((l) => /cluster:|alerts: sending/.test(l))
        .join(' | ')}`,
    );
  });
});
