import type { Confidence } from '../../protocol/verdict.ts';
import type { IncidentEvent } from '../incidents/types.ts';
import { type CorroborationRules, corroborates } from '../incidents/witnesses.ts';

/**
 * Which alerts a webhook wants (issue 14: alerts worth waking for). A webhook's rules are alternatives: an
 * event is sent when ANY rule matches it, and a rule matches when ALL its conditions hold. A webhook without
 * rules takes every event of its `events` kinds. Pure: the alert queue asks before it records a delivery,
 * and the delivery names the rule that let it through (or says why nothing was sent).
 */
export interface AlertRule {
  /** `confirmed`: only incidents with a confirmed trace; `probable` (the default): any detour incident. */
  minConfidence: Confidence;
  /** At least one of the incident's foreign countries is one of these; null: any. */
  countries: readonly string[] | null;
  /** At least one of the incident's foreign ASNs is one of these; null: any. */
  asns: readonly number[] | null;
  /**
   * At least this many independent verified witnesses (the same independence as `serve --corroboration`:
   * different owner, /24 (/48) and origin ASN); null: what published the incident is enough.
   */
  witnesses: number | null;
  /** Whether events raised by late results (old timestamps, imports) pass; default true. */
  late: boolean;
}

export const ANY_RULE: AlertRule = {
  minConfidence: 'probable',
  countries: null,
  asns: null,
  witnesses: null,
  late: true,
};

export type RuleDecision = { send: true; rule: string | null } | { send: false; why: string };

/** How a rule reads in delivery records and the startup log: `rule 1 (confirmed, via CN RU, 3 witnesses)`. */
export function describeRule(rule: AlertRule, index: number): string {
  const parts: string[] = [];
  if (rule.minConfidence === 'confirmed') parts.push('confirmed');
  if (rule.countries !== null) parts.push(`via ${rule.countries.join(' ')}`);
  if (rule.asns !== null) parts.push(`via ${rule.asns.map((a) => `AS${a}`).join(' ')}`);
  if (rule.witnesses !== null) parts.push(`${rule.witnesses} independent witnesses`);
  if (!rule.late) parts.push('not late');
  return `rule ${index + 1} (${parts.length === 0 ? 'any incident' : parts.join(', ')})`;
}

/** Why `rule` does not take `event`; null when it does. */
function refusal(rule: AlertRule, event: IncidentEvent, maxWitnessesPerOwner: number): string | null {
  const i = event.incident;
  if (rule.minConfidence === 'confirmed' && i.confirmedCount === 0) return 'only probable traces';
  if (rule.countries !== null && !i.countries.some((c) => rule.countries?.includes(c)))
    return `via ${i.countries.join(' ') || 'no country'}`;
  if (rule.asns !== null && !i.asns.some((a) => rule.asns?.includes(a)))
    return `via ${i.asns.map((a) => `AS${a}`).join(' ') || 'no AS'}`;
  if (rule.witnesses !== null) {
    const needed: CorroborationRules = { corroboration: rule.witnesses, maxWitnessesPerOwner };
    if (!corroborates(i.witnesses, needed))
      return `fewer than ${rule.witnesses} independent verified witnesses`;
  }
  if (!rule.late && event.late === true) return 'late';
  return null;
}

/**
 * Whether a webhook with these rules takes the event: the first rule that matches, or every rule's reason.
 * `maxWitnessesPerOwner` is serve's, so a rule counts witnesses as the incident's corroboration does.
 */
export function matchRules(
  rules: readonly AlertRule[],
  event: IncidentEvent,
  maxWitnessesPerOwner: number,
): RuleDecision {
  if (rules.length === 0) return { send: true, rule: null };
  const reasons: string[] = [];
  for (const [index, rule] of rules.entries()) {
    const why = refusal(rule, event, maxWitnessesPerOwner);
    if (why === null) return { send: true, rule: describeRule(rule, index) };
    reasons.push(`${describeRule(rule, index)}: ${why}`);
  }
  return { send: false, why: `no rule matched: ${reasons.join('; ')}` };
}
