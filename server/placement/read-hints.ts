import { readCityNames } from './city-reader.ts';
import { readClli } from './clli-reader.ts';
import { isAdopted, type SuffixConvention } from './convention.ts';
import { type LabelContext, readLabelContext } from './country-labels.ts';
import type { Gazetteer } from './gazetteer.ts';
import type { HintReading, HintRule } from './hint.ts';
import type { TokenizedHostname } from './hostname.ts';
import { readIata } from './iata-reader.ts';

/** Readings of one hostname, with what the suffix's convention (if one was learned) threw out and why. */
export interface HostnameHints {
  tokenized: TokenizedHostname;
  context: LabelContext;
  /** Whether a learned convention for the suffix chose the readings. */
  learned: boolean;
  readings: HintReading[];
  dropped: Array<{ reading: HintReading; why: string }>;
}

/** Which readings say most, when several survive: a learned code, a CLLI code, a city name, an airport code. */
export const RULE_RANK: Record<HintRule, number> = {
  'learned-code': 5,
  clli: 4,
  'city-name': 3,
  iata: 2,
  'clli-derived': 1,
};

/**
 * Every reading of a hostname. Without a convention the readers' own position rules apply; with one, only
 * readings at the (rule, label) positions the RTTs confirmed for that suffix count, plus its learned codes
 * at the labels it puts places in.
 */
export function readHostname(
  tokenized: TokenizedHostname,
  gazetteer: Gazetteer,
  convention?: SuffixConvention,
): HostnameHints {
  const all = [
    ...readIata(tokenized, gazetteer, convention !== undefined),
    ...readClli(tokenized, gazetteer),
    ...readCityNames(tokenized, gazetteer),
  ];
  const context = readLabelContext(tokenized, gazetteer);
  if (convention === undefined) {
    return { tokenized, context, learned: false, readings: all, dropped: [] };
  }
  const readings: HintReading[] = [];
  const dropped: HostnameHints['dropped'] = [];
  for (const reading of all) {
    if (isAdopted(convention, reading.rule, reading.label)) readings.push(reading);
    else
      dropped.push({
        reading,
        why: `${convention.suffix} names do not carry ${reading.rule} codes in label ${reading.label} (learned from RTTs)`,
      });
  }
  const placeLabels = new Set(convention.adopted.map((t) => t.label));
  for (const token of tokenized.tokens) {
    const code = convention.codes[token.text];
    if (code && token.kind === 'alpha' && token.startsPart && placeLabels.has(token.label)) {
      readings.push({ rule: 'learned-code', token: token.text, label: token.label, places: [code.place] });
    }
  }
  return { tokenized, context, learned: true, readings, dropped };
}

/**
 * Whether a reading may move a hop abroad against a database that puts it at home: a 3-letter code alone is too
 * easily a chance spelling (the RTT of a hop far along a path allows half the world), so it needs a learned
 * convention or a country label that agrees. CLLI codes, city names and learned codes are specific enough.
 */
export function isStrongReading(hints: HostnameHints, reading: HintReading, country: string): boolean {
  if (reading.rule !== 'iata' && reading.rule !== 'clli-derived') return true;
  return hints.learned || hints.context.countries.has(country);
}
