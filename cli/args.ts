import { type ParseArgsConfig, parseArgs } from 'node:util';
import { DetourwatchError } from '../protocol/errors.ts';

/** An option's value, or a sentence naming the option and what is wrong with it. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(problem: string): Parsed<T> => ({ ok: false, problem });

/** "LAT,LON" in decimal degrees. */
export function parsePosition(text: string, option: string): Parsed<{ lat: number; lon: number }> {
  const parts = text.split(',');
  const [lat, lon] = parts.map((p) => (p.trim() === '' ? Number.NaN : Number(p)));
  if (
    parts.length !== 2 ||
    lat === undefined ||
    lon === undefined ||
    !Number.isFinite(lat) ||
    !Number.isFinite(lon)
  ) {
    return bad(`${option} must be LAT,LON in decimal degrees (e.g. 37.34,-121.89), not "${text}"`);
  }
  if (lat < -90 || lat > 90 || lon < -180 || lon > 180) {
    return bad(
      `${option} ${text} is not on Earth: latitude must be within -90..90, longitude within -180..180`,
    );
  }
  return ok({ lat, lon });
}

/** ISO 3166-1 alpha-2, upper-cased. */
export function parseCountry(text: string, option: string): Parsed<string> {
  return /^[A-Za-z]{2}$/.test(text)
    ? ok(text.toUpperCase())
    : bad(`${option} must be a two-letter country code such as US, not "${text}"`);
}

/** A positive finite number. */
export function parsePositive(text: string, option: string): Parsed<number> {
  const n = Number(text);
  return Number.isFinite(n) && n > 0 ? ok(n) : bad(`${option} must be a positive number, not "${text}"`);
}

/** Collects problems from several parses so one error can list them all. */
export class Problems {
  readonly list: string[] = [];

  take<T>(parsed: Parsed<T>): T | undefined {
    if (parsed.ok) return parsed.value;
    this.list.push(parsed.problem);
    return undefined;
  }

  add(problem: string): void {
    this.list.push(problem);
  }

  /** Throws one USAGE error listing every problem, so the user fixes them all in one go. */
  throwIfAny(usage: string): void {
    if (this.list.length > 0) {
      throw new DetourwatchError('USAGE', `${this.list.join('\n  ')}\n\n${usage}`);
    }
  }
}

/** Strips terminal control characters from untrusted text (names, organisations) before printing it. */
export function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

/** node:util parseArgs, with its errors (unknown option, missing value) turned into USAGE errors. */
export function parseCommandLine<T extends ParseArgsConfig>(
  config: T,
  usage: string,
): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (code.startsWith('ERR_PARSE_ARGS')) {
      throw new DetourwatchError('USAGE', `${(err as Error).message}\n\n${usage}`);
    }
    throw err;
  }
}
