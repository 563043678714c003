/**
 * The one check every trace passes before it is judged, whatever brought it (agent result, upload, paste,
 * import, analyze): could a real tool have printed it? It knows nothing of who sent the trace; only the agent
 * path adds what the task asked for. Pure: a trace in, its problems out.
 */
import type { PlausibilityProblem } from '../../protocol/plausibility.ts';
import type { Trace } from '../../protocol/trace.ts';
import { checkAnswers } from './answers.ts';
import { boundsOf } from './bounds.ts';
import { checkDestination } from './destination.ts';
import { Findings } from './findings.ts';
import { checkRtts } from './rtts.ts';
import { checkSize } from './size.ts';
import { checkAfterDestination, checkTtls } from './ttls.ts';

export {
  PLAUSIBILITY_CODES,
  type PlausibilityCode,
  type PlausibilityProblem,
} from '../../protocol/plausibility.ts';

export interface PlausibilityContext {
  /** For agent results: the task's target (an address or hostname), which the trace must have gone to. */
  expectedDestination?: string;
}

/** `duplicates`: further answers from the same address to one probe, counted rather than refused. */
export type PlausibilityResult =
  | { ok: true; duplicates: number }
  | { ok: false; problems: PlausibilityProblem[]; duplicates: number };

export function checkPlausibility(trace: Trace, context: PlausibilityContext = {}): PlausibilityResult {
  const findings = new Findings();
  const bounds = boundsOf(trace);
  checkSize(trace, findings);
  checkTtls(trace, bounds, findings);
  checkAfterDestination(trace, findings);
  checkAnswers(trace, bounds, findings);
  checkRtts(trace, bounds, findings);
  checkDestination(trace, context.expectedDestination, findings);
  const problems = findings.problems();
  return problems.length === 0
    ? { ok: true, duplicates: findings.duplicates }
    : { ok: false, problems, duplicates: findings.duplicates };
}
