/**
 * Which of an agent's targets are due: each target is measured once per interval. New targets are due at
 * once (the agent's rate limit spreads the first round); targets gone from the catalogue are forgotten.
 * Returns the due targets, longest overdue first.
 */
export function dueTargets(due: Map<string, number>, targets: readonly string[], now: number): string[] {
  const current = new Set(targets);
  for (const target of due.keys()) if (!current.has(target)) due.delete(target);
  for (const target of targets) if (!due.has(target)) due.set(target, now);
  return [...due]
    .filter(([, at]) => at <= now)
    .sort((a, b) => a[1] - b[1])
    .map(([target]) => target);
}
