/**
 * A vitest reporter that ends the run with what could not run here and why, skips grouped by reason:
 *
 *   skipped by reason: 12 skipped: no scamper/mtr/traceroute; 9 skipped: not root
 *
 * A skipped test's reason is its `meta.skipReason` (set by test/helpers/skips.ts); failing that, the
 * `SKIPPED: ... because ...` lines its file printed; failing that, "no reason given", so that a silent skip
 * shows up too. Nothing here changes a result: it only reads them.
 */
import type { UserConsoleLog } from 'vitest';
import type { Reporter, TestCase, TestModule, Vitest } from 'vitest/node';
import { SKIP_REASONS } from '../helpers/skips.ts';

/** `SKIPPED: <what> because <why>`; a line without "because" is all reason. */
const SKIPPED_LINE = /^SKIPPED: (?:.*? because )?(.+)$/gm;
export const NO_REASON = 'no reason given';
/** Tests vitest reports as skipped because a hook of their suite failed: failures, not skips. */
export const SUITE_FAILED = 'not run: a beforeAll of its suite failed';

/** Group label for the free-text reason of a `SKIPPED:` line printed without the helper. */
export function classifyReason(text: string): string {
  if (/\broot\b/i.test(text)) return SKIP_REASONS.root;
  if (/shared\/fixtures/.test(text)) return SKIP_REASONS.sharedFixtures;
  if (/chromium/i.test(text)) return SKIP_REASONS.chromium;
  if (/postgres/i.test(text)) return SKIP_REASONS.postgres;
  if (/\b(scamper|mtr|traceroute)\b/.test(text) && /not installed|absent|missing/.test(text)) {
    return SKIP_REASONS.tracer;
  }
  if (/\b(sysctl|procps|iproute2|ip netns)\b/.test(text)) return 'no network namespaces (iproute2, procps)';
  return text.trim();
}

export interface SkipGroup {
  reason: string;
  count: number;
  /** Skipped tests per file (relative path). */
  files: Map<string, number>;
}

function inFailedSuite(test: TestCase): boolean {
  for (let parent: TestCase['parent'] | undefined = test.parent; parent; ) {
    if (parent.state() === 'failed') return true;
    parent = parent.type === 'suite' ? parent.parent : undefined;
  }
  return false;
}

/** Skips grouped by reason, largest group first. */
export function groupSkips(
  modules: ReadonlyArray<TestModule>,
  printedReasons: ReadonlyMap<string, ReadonlySet<string>>,
): SkipGroup[] {
  const groups = new Map<string, SkipGroup>();
  for (const module of modules) {
    const printed = [...(printedReasons.get(module.id) ?? [])];
    const fallback = printed.length > 0 ? [...new Set(printed.map(classifyReason))].join(' and ') : NO_REASON;
    for (const test of module.children.allTests('skipped')) {
      const reason = inFailedSuite(test) ? SUITE_FAILED : (test.meta().skipReason ?? fallback);
      const group = groups.get(reason) ?? { reason, count: 0, files: new Map() };
      group.count += 1;
      group.files.set(module.relativeModuleId, (group.files.get(module.relativeModuleId) ?? 0) + 1);
      groups.set(reason, group);
    }
  }
  return [...groups.values()].sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
}

/** The one-line summary: `12 skipped: no scamper/mtr/traceroute; 9 skipped: not root` (or `none`). */
export function summaryLine(groups: readonly SkipGroup[]): string {
  if (groups.length === 0) return 'skipped by reason: none';
  return `skipped by reason: ${groups.map((g) => `${g.count} skipped: ${g.reason}`).join('; ')}`;
}

export default class SkipSummaryReporter implements Reporter {
  private vitest: Vitest | undefined;
  /** Reasons from SKIPPED lines, by the id of the task (file, suite or test) that printed them. */
  private readonly printed = new Map<string, Set<string>>();

  onInit(vitest: Vitest): void {
    this.vitest = vitest;
  }

  onUserConsoleLog(log: UserConsoleLog): void {
    if (log.taskId === undefined || !log.content.includes('SKIPPED: ')) return;
    for (const match of log.content.matchAll(SKIPPED_LINE)) {
      const reasons = this.printed.get(log.taskId) ?? new Set<string>();
      reasons.add(match[1] as string);
      this.printed.set(log.taskId, reasons);
    }
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    // Lines printed inside a suite or test count for the file they belong to (task ids start with it).
    const byModule = new Map<string, Set<string>>();
    for (const [taskId, reasons] of this.printed) {
      const module = modules.find((m) => taskId === m.id || taskId.startsWith(`${m.id}_`));
      if (module === undefined) continue;
      const set = byModule.get(module.id) ?? new Set<string>();
      for (const r of reasons) set.add(r);
      byModule.set(module.id, set);
    }
    const groups = groupSkips(modules, byModule);
    const lines = [''];
    for (const g of groups) {
      const files = [...g.files].map(([file, n]) => `${file} (${n})`).join(', ');
      lines.push(`  ${g.count} skipped, ${g.reason}: ${files}`);
    }
    lines.push(summaryLine(groups));
    const write = (text: string) => (this.vitest ? this.vitest.logger.log(text) : console.log(text));
    write(lines.join('\n'));
  }
}
