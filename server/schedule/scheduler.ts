import { randomBytes } from 'node:crypto';
import { classifyAddress } from '../../protocol/address/classify.ts';
import type { TaskMessage } from '../../protocol/messages.ts';
import type { ConnectedAgent, HubEvents } from '../hub/hub.ts';
import { type Budget, expire, newBudget, recordSent, room, settle } from './budget.ts';
import { dueTargets } from './rotation.ts';

/** The part of the hub the scheduler drives. */
export interface TaskChannel {
  connected(): ConnectedAgent[];
  sendTask(agentId: string, task: TaskMessage): boolean;
}

export interface SchedulerOptions {
  channel: TaskChannel;
  /** The operator's (or the default) target list. */
  catalogueTargets: () => readonly string[];
  /** Recurring measurements on; off, only operator requests are sent. */
  recurring: boolean;
  intervalMs: number;
  tickMs?: number;
  /** A task unanswered this long no longer counts against the agent's concurrency. */
  taskTimeoutMs?: number;
  now?: () => number;
  log?: (line: string) => void;
}

export type RequestOutcome = { taskId: string; status: 'sent' | 'queued' };

export interface SchedulerStats {
  recurring: boolean;
  intervalMs: number;
  catalogueTargets: number;
  meshTargets: number;
  tasksInFlight: number;
  tasksQueued: number;
  tasksExpired: number;
}

export interface Scheduler {
  /** Wire these into the hub. */
  readonly events: HubEvents;
  /** One measurement now (or as soon as the agent's limits allow); the agent must be connected. */
  request(agentId: string, target: string): RequestOutcome;
  stats(): SchedulerStats;
  start(): void;
  stop(): void;
}

interface AgentPlan {
  budget: Budget;
  due: Map<string, number>;
  /** Operator requests, sent before recurring work. */
  queued: TaskMessage[];
}

const newTaskId = (): string => `tk_${randomBytes(12).toString('base64url')}`;

/**
 * The mesh: every connected agent's public address is a target for the others. Only global addresses:
 * an agent behind NAT or on a lab network shows a private address nobody else can reach.
 */
export function meshTargets(agents: readonly ConnectedAgent[]): string[] {
  const addresses = agents.flatMap((a) =>
    a.address !== null && classifyAddress(a.address) === 'global' ? [a.address] : [],
  );
  return [...new Set(addresses)];
}

export function createScheduler(options: SchedulerOptions): Scheduler {
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => {});
  const taskTimeoutMs = options.taskTimeoutMs ?? 5 * 60_000;
  const plans = new Map<string, AgentPlan>();
  let expiredCount = 0;
  let lastMesh = 0;
  let timer: NodeJS.Timeout | null = null;

  const plan = (agentId: string): AgentPlan => {
    let p = plans.get(agentId);
    if (!p) {
      p = { budget: newBudget(), due: new Map(), queued: [] };
      plans.set(agentId, p);
    }
    return p;
  };

  function send(agent: ConnectedAgent, p: AgentPlan, task: TaskMessage, at: number): boolean {
    if (!options.channel.sendTask(agent.agentId, task)) return false;
    recordSent(p.budget, task.taskId, at);
    return true;
  }

  function serve(agent: ConnectedAgent, mesh: readonly string[], at: number): void {
    const p = plan(agent.agentId);
    const expired = expire(p.budget, at, taskTimeoutMs);
    expiredCount += expired.length;
    if (expired.length > 0)
      log(`schedule: ${agent.name}: ${expired.length} tasks unanswered after ${taskTimeoutMs} ms`);
    let free = agent.acceptsTasks ? room(p.budget, agent.limits) : 0;
    while (free > 0 && p.queued.length > 0) {
      const task = p.queued[0];
      if (!task || !send(agent, p, task, at)) return;
      p.queued.shift();
      free -= 1;
    }
    if (!options.recurring || free === 0) return;
    const targets = [...options.catalogueTargets(), ...mesh.filter((m) => m !== agent.address)];
    for (const target of dueTargets(p.due, targets, at).slice(0, free)) {
      if (!send(agent, p, { type: 'task', taskId: newTaskId(), target }, at)) return;
      p.due.set(target, at + options.intervalMs);
    }
  }

  function tick(): void {
    const agents = options.channel.connected();
    const mesh = meshTargets(agents);
    lastMesh = mesh.length;
    const at = now();
    for (const agent of agents) serve(agent, mesh, at);
  }

  const finished = (agentId: string, taskId: string | null): void => {
    const p = plans.get(agentId);
    if (taskId !== null && p) settle(p.budget, taskId);
  };

  return {
    events: {
      connected: () => tick(),
      disconnected(agentId) {
        const p = plans.get(agentId);
        if (p && p.queued.length > 0)
          log(`schedule: dropped ${p.queued.length} requested tasks: agent ${agentId} left`);
        // Recurring due times survive a reconnect; unanswered tasks and requests do not.
        if (p) {
          p.queued = [];
          p.budget.inFlight.clear();
        }
      },
      resultReceived: finished,
      taskFailed: finished,
    },
    request(agentId, target) {
      const p = plan(agentId);
      const task: TaskMessage = { type: 'task', taskId: newTaskId(), target };
      p.queued.push(task);
      tick();
      return { taskId: task.taskId, status: p.queued.includes(task) ? 'queued' : 'sent' };
    },
    stats: () => ({
      recurring: options.recurring,
      intervalMs: options.intervalMs,
      catalogueTargets: options.catalogueTargets().length,
      meshTargets: lastMesh,
      tasksInFlight: [...plans.values()].reduce((n, p) => n + p.budget.inFlight.size, 0),
      tasksQueued: [...plans.values()].reduce((n, p) => n + p.queued.length, 0),
      tasksExpired: expiredCount,
    }),
    start() {
      if (timer) return;
      timer = setInterval(tick, options.tickMs ?? 1000);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}
