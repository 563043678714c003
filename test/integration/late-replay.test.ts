/**
 * Issue 14 item 3 with real processes: results from an agent that was offline. The real agent (stand-in
 * traceroute replaying the test world's detour output) runs a task, the coordinator (`detourwatch serve`) is
 * SIGKILLed before the result is delivered, the result waits in the agent's outbox longer than `--late-after`,
 * the coordinator comes back on the same port and data, and the agent delivers: inside the task window
 * (`--task-window`) the result is accepted, stored once, marked late, and the detour alerts with `late: true`.
 */
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryItem, DetourItem } from '../../protocol/history-api.ts';
import type { AlertPayload } from '../../server/alerts/payload.ts';
import { type AgentProcess, killAgent, spawnAgent } from '../agent/agent-process.ts';
import { type CoordinatorProcess, createToken, killServe, startServe } from '../agent/coordinator-process.ts';
import { waitFor } from '../agent/fake-coordinator.ts';
import { startReceiver } from '../alerts/webhook-receiver.ts';
import { writeWorldDatabases } from '../helpers/analyze-world.ts';
import { createStandInEngines, ENGINE_OUTPUT_DIR, type StandInEngines } from '../helpers/stand-in-engines.ts';
import { AGENT_LOCATION, DETOUR_OUTPUT } from './coordinator-harness.ts';

const SECRET = 'late replay secret';
const TARGET = '192.0.2.50';
const LATE_AFTER_MS = 2000;

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/**
 * The recorded fixtures, with the traceroute IPv4 trace replaced by the test world's detour: the stand-in
 * then prints it for a trace of TARGET (it substitutes the target for the recorded address).
 */
function detourFixtures(dir: string): string {
  mkdirSync(dir);
  for (const name of readdirSync(ENGINE_OUTPUT_DIR))
    copyFileSync(path.join(ENGINE_OUTPUT_DIR, name), path.join(dir, name));
  const index = JSON.parse(readFileSync(path.join(dir, 'recordings.json'), 'utf8')) as {
    recordings: { tool: string; case: string; family?: number; address?: string; stdout?: string }[];
  };
  const entry = index.recordings.find((r) => r.tool === 'traceroute' && r.case === 'trace' && r.family === 4);
  if (entry === undefined) throw new Error('no recorded traceroute trace to replace');
  entry.address = TARGET;
  entry.stdout = 'traceroute-detour.stdout';
  writeFileSync(path.join(dir, entry.stdout), DETOUR_OUTPUT);
  writeFileSync(path.join(dir, 'recordings.json'), JSON.stringify(index));
  return dir;
}

const outboxFiles = async (dir: string) =>
  (await fs.readdir(dir)).filter((n) => n.endsWith('.json') && !n.startsWith('.'));

describe('a late result from an agent that was offline', { timeout: 150_000 }, () => {
  let tmp: string;
  let data: string;
  let outbox: string;
  let engines: StandInEngines;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let coordinator: CoordinatorProcess | undefined;
  let agent: AgentProcess | undefined;
  let serveArgs: string[];

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(tmpdir(), 'dw-late-replay-'));
    data = path.join(tmp, 'data');
    outbox = path.join(tmp, 'outbox');
    engines = await createStandInEngines({ mode: 'trace', hold: true });
    writeFileSync(
      path.join(engines.dir, 'stand-in.json'),
      JSON.stringify({ fixtures: detourFixtures(path.join(tmp, 'fixtures')) }),
    );
    receiver = await startReceiver(SECRET, [200]);
    const world = writeWorldDatabases(tmp);
    serveArgs = [
      '--city-db',
      world.cityDb,
      '--asn-db',
      world.asnDb,
      '--look-up-documentation',
      '--no-resolve',
      '--corroboration',
      '1',
      '--heartbeat',
      '1s',
      '--late-after',
      `${LATE_AFTER_MS / 1000}s`,
      '--task-window',
      '1h',
      '--webhook',
      receiver.url,
    ];
  });

  afterAll(async () => {
    await killAgent(agent);
    await killServe(coordinator);
    await receiver?.close();
    await engines?.remove();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('is accepted within the task window, stored once, marked late, and alerts with late: true', async () => {
    const env = { DETOURWATCH_WEBHOOK_SECRET: SECRET };
    const token = await createToken(data, 'offline-laptop');
    const operatorKey = await createToken(data, 'ops', 'operator');
    coordinator = await startServe(data, 0, 45_000, serveArgs, env);
    expect(coordinator.output()).toContain('tasks: answered within 1h of being sent');
    const port = coordinator.port;
    agent = spawnAgent(
      [
        '--server',
        coordinator.url,
        '--outbox',
        outbox,
        '--allow-special-targets',
        '--engine',
        'traceroute',
        '--location',
        `${AGENT_LOCATION.lat},${AGENT_LOCATION.lon}`,
      ],
      { DETOURWATCH_TOKEN: token, ...engines.env },
    );
    const a = agent;
    await waitFor(() => a.lines('connected').length === 1, 'the agent to be welcomed', 45_000);
    const { agents } = await getJson<{ agents: { id: string; name: string }[] }>(
      `${coordinator.url}/api/v1/agents`,
    );
    const me = agents.find((x) => x.name === 'offline-laptop');
    const asked = await fetch(`${coordinator.url}/api/v1/measurements`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${operatorKey}` },
      body: JSON.stringify({ agentId: me?.id, target: TARGET }),
    });
    expect(asked.status).toBe(202);
    await waitFor(() => engines.traces().length === 1, 'the trace to start');

    // The coordinator goes away while the trace runs: the result can only wait in the outbox.
    await killServe(coordinator, 'SIGKILL');
    await engines.release();
    await waitFor(() => a.lines('task-finished').length === 1, 'the trace to finish offline', 30_000);
    const finishedAt = Date.now();
    expect(await outboxFiles(outbox)).toHaveLength(1);
    const resultId = /resultId=(\S+)/.exec(a.lines('task-finished')[0] ?? '')?.[1];
    expect(resultId).toBeDefined();
    // Offline for longer than --late-after, measured from when the trace ended.
    while (Date.now() - finishedAt <= LATE_AFTER_MS + 500) await new Promise((r) => setTimeout(r, 100));
    expect(receiver.received).toHaveLength(0);

    coordinator = await startServe(data, port, 45_000, serveArgs, env);
    const back = coordinator;
    await waitFor(() => a.lines('result-acked').length >= 1, 'the replayed result to be acked', 45_000);
    expect(a.lines('result-acked')[0]).toContain('status=stored');
    expect(await outboxFiles(outbox)).toHaveLength(0);

    const { traces } = await getJson<{ traces: { resultId: string | null; late: boolean }[] }>(
      `${back.url}/api/v1/traces?limit=100`,
    );
    expect(traces.filter((t) => t.resultId === resultId)).toEqual([
      expect.objectContaining({ resultId, late: true }),
    ]);
    expect(traces).toHaveLength(1);
    const { detours } = await getJson<{ detours: DetourItem[] }>(`${back.url}/api/v1/detours?limit=10`);
    expect(detours.map((d) => d.late)).toEqual([true]);

    await waitFor(() => receiver.received.length >= 1, 'the alert', 30_000);
    const payload = JSON.parse(receiver.received[0]?.body ?? '{}') as AlertPayload;
    expect(receiver.received[0]?.signatureValid).toBe(true);
    expect(payload).toMatchObject({ event: 'incident.opened', late: true });
    expect(payload.summary).toContain('[late]');
    expect(payload.incident.id).toBe(detours[0]?.incidentId);
    const { deliveries } = await getJson<{ deliveries: DeliveryItem[] }>(
      `${back.url}/api/v1/alerts/deliveries?limit=10`,
    );
    expect(deliveries.map((d) => [d.event, d.status])).toEqual([['incident.opened', 'delivered']]);
  });
});
