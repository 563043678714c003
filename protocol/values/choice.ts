import { badValue, quote } from './quote.ts';

/** One of a fixed list of words, exactly as listed. */
export function parseChoice<T extends string>(text: string, choices: readonly T[]): T {
  if ((choices as readonly string[]).includes(text)) return text as T;
  throw badValue(`${quote(text)} is not one of ${choices.join(', ')}`);
}
