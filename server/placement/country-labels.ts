import type { Gazetteer } from './gazetteer.ts';
import type { TokenizedHostname } from './hostname.ts';
import { ROLE_WORDS } from './role-words.ts';

/** The two-letter labels that are not the ISO code of the country they stand for. */
const COUNTRY_LABEL_ALIASES: Record<string, string> = { uk: 'GB' };

const US_STATES = new Set(
  'al ak az ar ca co ct de dc fl ga hi id il in ia ks ky la me md ma mi mn ms mo mt ne nv nh nj nm ny nc nd oh ok or pa ri sc sd tn tx ut vt va wa wv wi wy'.split(
    ' ',
  ),
);

/** What a name's whole two-letter labels say about where it is: countries (`.us.`, `.de.`) and US states (`.tx.`). */
export interface LabelContext {
  countries: Set<string>;
  usStates: Set<string>;
}

/**
 * Whole labels of two letters, except the leftmost (the host or interface part) and role words (`ae`, `br`, `bb`
 * are also countries). A country label only ever corroborates or disambiguates another reading: `.ca.` is Canada
 * or California, and no name is placed in a country by such a label alone.
 */
export function readLabelContext(tokenized: TokenizedHostname, gazetteer: Gazetteer): LabelContext {
  const context: LabelContext = { countries: new Set(), usStates: new Set() };
  tokenized.labels.forEach((label, index) => {
    if (index === 0) return;
    if (!/^[a-z]{2}$/.test(label) || ROLE_WORDS.has(label)) return;
    const country = COUNTRY_LABEL_ALIASES[label] ?? label.toUpperCase();
    if (gazetteer.isCountry(country)) context.countries.add(country);
    if (US_STATES.has(label)) context.usStates.add(label.toUpperCase());
  });
  return context;
}
