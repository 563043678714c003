/**
 * Shared by trust-witnesses.test.ts and trust-vantage.test.ts: the real coordinator with the task check ON
 * (as `serve` always runs it), operator keys and owned agent tokens, and hand-written agents that connect from
 * their own loopback address (127.0.N.1: a /24 each, as volunteers behind different networks) and answer only
 * the tasks the coordinator issues them (POST /api/v1/measurements with an operator key).
 */
import WebSocket from 'ws';
import { type CoordinatorMessage, parseCoordinatorMessage } from '../../protocol/messages.ts';
import { webhookTarget } from '../../server/alerts/webhook-config.ts';
import { loadServeOptions } from '../../server/config/serve-config.ts';
import { generateToken, hashToken } from '../../server/store/tokens.ts';
import {
  helloMessage,
  startTestCoordinator,
  type TestCoordinator,
  tracerouteOutput,
} from './coordinator-harness.ts';

export const SECRET = 'trust tests secret';

export interface TrustCoordinator extends TestCoordinator {
  operatorKey: string;
  agentToken(name: string, owner: string): Promise<string>;
}

export async function startTrustCoordinator(
  options: { webhookUrl?: string; corroboration?: number; targetsFile?: string } = {},
): Promise<TrustCoordinator> {
  const { history } = loadServeOptions(['--no-schedule'], {});
  const t = await startTestCoordinator({
    enforceTasks: true,
    ...(options.targetsFile === undefined ? {} : { targetsFile: options.targetsFile }),
    history: {
      ...history,
      ...(options.corroboration === undefined ? {} : { corroboration: options.corroboration }),
      webhooks: options.webhookUrl === undefined ? [] : [webhookTarget(options.webhookUrl, SECRET)],
      vantageCheckMs: 50,
    },
  });
  const operatorKey = generateToken();
  await t.store.createToken('operator', hashToken(operatorKey), new Date().toISOString(), {
    role: 'operator',
  });
  return Object.assign(t, {
    operatorKey,
    async agentToken(name: string, owner: string) {
      const token = generateToken();
      await t.store.createToken(name, hashToken(token), new Date().toISOString(), { owner });
      return token;
    },
  });
}

/** Polls `check` until it answers something other than undefined (bounded). */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 8000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A protocol client from its own loopback address that answers issued tasks with the output it is given. */
export class TaskAgent {
  readonly messages: CoordinatorMessage[] = [];
  agentId = '';
  #ws: WebSocket;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on('message', (data) => this.messages.push(parseCoordinatorMessage(String(data))));
    ws.on('error', () => {});
  }

  static async connect(
    t: TrustCoordinator,
    token: string,
    localAddress: string,
    location: { lat: number; lon: number },
  ): Promise<TaskAgent> {
    const ws = new WebSocket(t.coordinator.agentUrl, {
      headers: { authorization: `Bearer ${token}` },
      localAddress,
    });
    const agent = new TaskAgent(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.send(JSON.stringify(helloMessage({ location })));
    const welcome = await until('the welcome', async () => agent.messages.find((m) => m.type === 'welcome'));
    agent.agentId = welcome.type === 'welcome' ? welcome.agentId : '';
    return agent;
  }

  /** Asks the coordinator (as an operator) to have this agent trace `target`, and answers with `output`. */
  async measure(t: TrustCoordinator, target: string, output: string): Promise<void> {
    const response = await fetch(`${t.coordinator.url}/api/v1/measurements`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.operatorKey}` },
      body: JSON.stringify({ agentId: this.agentId, target }),
    });
    if (response.status !== 202)
      throw new Error(`measurement refused: ${response.status} ${await response.text()}`);
    const { taskId } = (await response.json()) as { taskId: string };
    await until(`task ${taskId}`, async () =>
      this.messages.find((m) => m.type === 'task' && m.taskId === taskId),
    );
    const resultId = `r-${this.agentId}-${taskId}`;
    this.#ws.send(
      JSON.stringify({
        type: 'result',
        resultId,
        taskId,
        target,
        engine: 'traceroute',
        output,
        startedAt: new Date().toISOString(),
        durationMs: 900,
      }),
    );
    const ack = await until(`the ack of ${resultId}`, async () =>
      this.messages.find((m) => m.type === 'ack' && m.resultId === resultId),
    );
    if (ack.type !== 'ack' || ack.status !== 'stored') throw new Error(`not stored: ${JSON.stringify(ack)}`);
  }

  close(): void {
    this.#ws.close();
  }
}

/** One reply from another agent's address in `rttMs`: the mesh measuring the distance between two agents. */
export function meshOutput(address: string, rttMs: number): string {
  const ms = (n: number) => `${n.toFixed(3)} ms`;
  return tracerouteOutput(address, [`${address}  ${ms(rttMs)}  ${ms(rttMs + 0.05)}  ${ms(rttMs + 0.1)}`]);
}
