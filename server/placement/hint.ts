import type { Place } from './place.ts';

/** Which rule read a place out of a hostname. */
export const HINT_RULES = [
  /** An IATA airport or metropolitan code: `dfw03`, `sjc`, `nrt1`. */
  'iata',
  /** A CLLI-style code from the hand-kept table: `dllstx`, `asbnva`, `frnkge`. */
  'clli',
  /** A CLLI-style code derived from a US city's consonant skeleton and state. */
  'clli-derived',
  /** A city's name: `sanjose`, `Dallas1`, `new-york`. */
  'city-name',
  /** A code the per-suffix learning found for one operator. */
  'learned-code',
] as const;
export type HintRule = (typeof HINT_RULES)[number];

/** One reading of one token: the places it may name (several for a city name with namesakes). */
export interface HintReading {
  rule: HintRule;
  /** The token as read (`dllstx`, `sanjose`, `newyork`). */
  token: string;
  /** The label it sits in, counted from the right before the registered domain (see HostnameToken.label). */
  label: number;
  places: Place[];
}

/** Rule and label: what a naming convention is, per domain suffix. */
export function positionKey(rule: HintRule, label: number): string {
  return `${rule}@${label}`;
}
