import type { Gazetteer } from './gazetteer.ts';
import type { HintReading } from './hint.ts';
import type { HostnameToken, TokenizedHostname } from './hostname.ts';
import { ROLE_WORDS } from './role-words.ts';

/**
 * Where an operator's 3-letter code can stand when nothing has been learned about its names: at the start of a
 * label part, alone (`sjc`, `fra-...`) or followed by digits (`dfw03`, `nrt1`, `dfw25s12`); later in a part
 * (`s` of `dfw25s12`) it is not a code.
 */
export function inIataPosition(token: HostnameToken): boolean {
  return token.startsPart && (token.wholePart || token.beforeDigits);
}

/**
 * IATA airport (medium and large ones: OurAirports lists 4,500 with codes) and metropolitan codes. `anywhere`
 * drops the position rule (the learning tries every position and lets the RTTs decide which one holds places).
 */
export function readIata(
  tokenized: TokenizedHostname,
  gazetteer: Gazetteer,
  anywhere = false,
): HintReading[] {
  const out: HintReading[] = [];
  for (const token of tokenized.tokens) {
    if (token.kind !== 'alpha' || token.text.length !== 3 || ROLE_WORDS.has(token.text)) continue;
    if (!anywhere && !inIataPosition(token)) continue;
    if (anywhere && !token.startsPart) continue;
    const place = gazetteer.airport(token.text);
    if (place) out.push({ rule: 'iata', token: token.text, label: token.label, places: [place] });
  }
  return out;
}
