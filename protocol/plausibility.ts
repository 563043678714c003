/**
 * Why a trace cannot be one a real tool printed. The codes are a contract (the API, the CLI and stored verdicts
 * carry them), so they are declared once here; server/plausibility decides which apply.
 */
export const PLAUSIBILITY_CODES = [
  /** Several addresses answered one probe (same TTL, same attempt). */
  'one-probe-many-answers',
  /** More probes answered or timed out at a TTL (or in the trace) than the tool says it sent. */
  'more-answers-than-probes',
  /** A reply names an attempt number outside 1 and the attempts the tool made. */
  'attempt-beyond-attempts',
  /** An RTT that is not a finite number above zero. */
  'rtt-invalid',
  /** An RTT later than the tool waited for replies. */
  'rtt-after-wait',
  /** A TTL outside 1 and the trace's maximum (255 at most). */
  'ttl-out-of-range',
  /** TTLs that do not rise from hop to hop. */
  'ttl-not-rising',
  /** A hop that answered after the destination did. */
  'hop-after-destination',
  /** The trace went somewhere else than the task's target. */
  'destination-not-target',
  /** More hops than any trace can have. */
  'too-many-hops',
  /** More replies than any real traceroute records. */
  'too-many-replies',
] as const;

export type PlausibilityCode = (typeof PLAUSIBILITY_CODES)[number];

export interface PlausibilityProblem {
  code: PlausibilityCode;
  /** The first hop the problem concerns; null when it concerns the whole trace. */
  ttl: number | null;
  /** Names the hop and the numbers, e.g. "TTL 2, attempt 1: 4 addresses answered one probe (...)". */
  message: string;
}
