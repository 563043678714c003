import { normaliseName } from './place.ts';

/**
 * The consonant skeleton CLLI place codes mostly follow: the first letter, then the name's consonants, first 4
 * (Dallas -> dlls, San Jose -> snjs, Atlanta -> atln, Seattle -> sttl). Null when fewer than 4 letters result
 * (Miami -> mm: its real code MIAM is in the hand-kept table). Many real codes do not follow it (Los Angeles is
 * LSAN, not LSNG), which is why derived codes are only a fallback behind the table and every reading is
 * tested against the RTTs.
 */
export function clliPlaceSkeleton(cityName: string): string | null {
  const letters = normaliseName(cityName).replace(/[0-9]/g, '');
  if (letters.length === 0) return null;
  const skeleton = letters[0] + letters.slice(1).replace(/[aeiou]/g, '');
  return skeleton.length >= 4 ? skeleton.slice(0, 4) : null;
}
