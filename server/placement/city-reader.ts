import type { Gazetteer } from './gazetteer.ts';
import type { HintReading } from './hint.ts';
import { alphaParts, type TokenizedHostname } from './hostname.ts';
import { ROLE_WORDS } from './role-words.ts';

/**
 * A city name counts when it is long enough not to be a chance spelling: 6 letters or more (`dallas`,
 * `amsterdam`), or 4 or more for a town a medium or large airport serves (`rome`, `oslo`). Shorter names and
 * role words (`core`, `edge`, `static`) never count: too many towns are called that.
 */
const MIN_LETTERS = 6;
const MIN_LETTERS_NOTABLE = 4;

/** How many namesakes a reading may carry; the RTTs and the name's other labels choose among them. */
const MAX_PLACES = 64;

/**
 * City names, written in one run (`sanjose1`, `Dallas1`, `hameenlinna2`) or across a label's parts
 * (`n75-new-york`, `san-jose`: up to three parts joined).
 */
export function readCityNames(tokenized: TokenizedHostname, gazetteer: Gazetteer): HintReading[] {
  const out: HintReading[] = [];
  const seen = new Set<string>();
  const consider = (text: string, label: number) => {
    const key = `${label}:${text}`;
    if (seen.has(key) || text.length < MIN_LETTERS_NOTABLE || ROLE_WORDS.has(text)) return;
    seen.add(key);
    const places = gazetteer.cities(text);
    const best = places[0];
    if (best === undefined) return;
    if (text.length < MIN_LETTERS && best.importance < 2) return;
    out.push({ rule: 'city-name', token: text, label, places: places.slice(0, MAX_PLACES) });
  };
  for (const token of tokenized.tokens) {
    if (token.kind === 'alpha' && token.startsPart) consider(token.text, token.label);
  }
  for (let label = 0; label < tokenized.labels.length; label++) {
    const parts = alphaParts(tokenized, label);
    for (let i = 0; i < parts.length; i++) {
      for (let n = 2; n <= 3 && i + n <= parts.length; n++) {
        const run = parts.slice(i, i + n);
        // Only parts that follow each other directly: `new-york`, not `new-1-york`.
        if (run.some((p, k) => k > 0 && p.part !== (run[k - 1]?.part ?? -2) + 1)) continue;
        consider(run.map((p) => p.text).join(''), label);
      }
    }
  }
  return out;
}
