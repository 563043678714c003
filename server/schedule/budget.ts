import type { AgentLimits } from '../../protocol/messages.ts';

const MINUTE_MS = 60_000;

/** What one agent has been sent: tasks not yet answered, and when recent tasks were sent. */
export interface Budget {
  inFlight: Map<string, number>;
  sentAt: number[];
}

export function newBudget(): Budget {
  return { inFlight: new Map(), sentAt: [] };
}

/** Forgets send times older than a minute and tasks unanswered for `taskTimeoutMs`; returns those task ids. */
export function expire(budget: Budget, now: number, taskTimeoutMs: number): string[] {
  while ((budget.sentAt[0] ?? now) <= now - MINUTE_MS) budget.sentAt.shift();
  const expired: string[] = [];
  for (const [taskId, sentAt] of budget.inFlight) {
    if (sentAt <= now - taskTimeoutMs) expired.push(taskId);
  }
  for (const taskId of expired) budget.inFlight.delete(taskId);
  return expired;
}

/** How many tasks may be sent now without exceeding the agent's concurrency or its rate per minute. */
export function room(budget: Budget, limits: AgentLimits): number {
  return Math.max(
    0,
    Math.min(limits.maxConcurrent - budget.inFlight.size, limits.maxPerMinute - budget.sentAt.length),
  );
}

export function recordSent(budget: Budget, taskId: string, now: number): void {
  budget.inFlight.set(taskId, now);
  budget.sentAt.push(now);
}

/** A result or failure for the task arrived; false when it was not (or no longer) in flight. */
export function settle(budget: Budget, taskId: string): boolean {
  return budget.inFlight.delete(taskId);
}
