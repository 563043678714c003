import { CLLI_REGION_SUFFIXES } from './clli-codes.ts';
import type { Gazetteer } from './gazetteer.ts';
import type { HintReading } from './hint.ts';
import type { TokenizedHostname } from './hostname.ts';
import { inIataPosition } from './iata-reader.ts';
import { ROLE_WORDS } from './role-words.ts';

/**
 * CLLI-style codes: 6 letters, 4 for the place and 2 for the state, province or country, at the start of a label
 * part, alone or before digits (`dllstx09`, `asbnva`). The hand-kept table first; else US codes derived from a
 * city's consonant skeleton (`hstntx` -> Houston), which may name several towns.
 */
export function readClli(tokenized: TokenizedHostname, gazetteer: Gazetteer): HintReading[] {
  const out: HintReading[] = [];
  for (const token of tokenized.tokens) {
    const code = token.text;
    if (token.kind !== 'alpha' || code.length !== 6 || !inIataPosition(token) || ROLE_WORDS.has(code))
      continue;
    if (!CLLI_REGION_SUFFIXES.has(code.slice(4))) continue;
    const known = gazetteer.clli(code);
    if (known) {
      out.push({ rule: 'clli', token: code, label: token.label, places: [known] });
      continue;
    }
    const derived = gazetteer.derivedClli(code);
    if (derived.length > 0) {
      out.push({ rule: 'clli-derived', token: code, label: token.label, places: [...derived] });
    }
  }
  return out;
}
