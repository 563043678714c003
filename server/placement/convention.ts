import type { HintRule } from './hint.ts';
import type { Place } from './place.ts';

/** How often the RTTs agreed with the readings of one rule at one label, for one domain suffix. */
export interface PositionTally {
  rule: HintRule;
  label: number;
  /** Readings with at least one candidate place that every RTT of the address allows. */
  consistent: number;
  /** Readings whose every candidate place some RTT of the address rules out. */
  refuted: number;
}

/** A code one operator uses for a place, found by the learning rather than in a dictionary. */
export interface LearnedCode {
  place: Place;
  /** How many distinct addresses named with it were measured. */
  addresses: number;
}

/** What was learned about one operator's names (one registered domain). */
export interface SuffixConvention {
  suffix: string;
  /** The (rule, label) pairs adopted: enough readings, nearly all consistent. */
  adopted: PositionTally[];
  /** The pairs tried and not adopted, kept so the decision can be explained. */
  rejected: PositionTally[];
  /** Custom codes by token (lower case). */
  codes: Record<string, LearnedCode>;
}

/** Conventions by registered domain. */
export type Conventions = ReadonlyMap<string, SuffixConvention>;

export function isAdopted(convention: SuffixConvention, rule: HintRule, label: number): boolean {
  return convention.adopted.some((t) => t.rule === rule && t.label === label);
}
