/**
 * The one option reader of every command (agent and coordinator alike): `node:util` parseArgs for the
 * flags, `DETOURWATCH_*` variables for flags not given, defaults after that, and the value parsers of
 * protocol/values/ for each value. It never stops at the first mistake: every unknown flag, missing or bad
 * value becomes a line in `problems`, and the command throws them all in one USAGE error.
 */
import { parseArgs } from 'node:util';
import { DetourwatchError } from './errors.ts';
import { quote } from './values/quote.ts';

export interface OptionSpec {
  /** A `boolean` is a flag without a value; a `string` takes one (`--name value` or `--name=value`). */
  type: 'string' | 'boolean';
  /** May be given several times; the variable then holds the values separated by spaces. */
  multiple?: boolean;
  /** The variable read when the flag is absent (only where the command's --help documents it). */
  env?: string;
  /** Turns the text into the value, throwing a DetourwatchError that says what is wrong with it. */
  parse?: (text: string) => unknown;
  /** The value (already parsed) when neither the flag nor the variable is given. */
  default?: unknown;
}

export type OptionSpecs = Record<string, OptionSpec>;

type Parsed<S extends OptionSpec> = S extends { parse: (text: string) => infer T } ? T : string;

export type OptionValues<S extends OptionSpecs> = {
  -readonly [K in keyof S]: S[K] extends { type: 'boolean' }
    ? boolean
    : S[K] extends { multiple: true }
      ? Parsed<S[K]>[]
      : S[K] extends { default: infer D }
        ? Parsed<S[K]> | D
        : Parsed<S[K]> | undefined;
};

/** Problems with a command's options, collected so that the user fixes them all in one go. */
export class Problems {
  readonly list: string[] = [];

  add(problem: string): void {
    this.list.push(problem);
  }

  /**
   * Runs a parser; its complaint (any DetourwatchError) becomes a problem, prefixed with `label` (the flag
   * or variable the text came from) unless the label is null because the message names it already.
   */
  check<T>(label: string | null, parse: () => T): T | undefined {
    try {
      return parse();
    } catch (err) {
      if (!(err instanceof DetourwatchError)) throw err;
      this.add(label === null ? err.message : `${label}: ${err.message}`);
      return undefined;
    }
  }

  /**
   * One USAGE error listing every problem and pointing at the command's --help; nothing when all is well.
   * `program` is how the user invoked it (the agent package's own command is `detourwatch-agent`).
   */
  throwIfAny(command: string, program = `detourwatch ${command}`): void {
    if (this.list.length === 0) return;
    const body =
      this.list.length === 1
        ? this.list[0]
        : `${this.list.length} problems with the options:${this.list.map((p) => `\n  - ${p}`).join('')}`;
    throw new DetourwatchError('USAGE', `${body}\nRun \`${program} --help\` for the options.`);
  }
}

export interface OptionReading<S extends OptionSpecs> {
  /** Parsed values, defaults filled in; trust them only once `problems.throwIfAny` has passed. */
  values: OptionValues<S>;
  positionals: string[];
  problems: Problems;
  /** Where an option came from (`--name` or its variable), even when its value was bad; null: not given. */
  source(name: keyof S & string): string | null;
}

const TRUE_WORDS = new Set(['1', 'true', 'yes', 'on']);
const FALSE_WORDS = new Set(['0', 'false', 'no', 'off', '']);

/**
 * Reads `args` against `specs`, then `env` for options not given. Never throws for the user's mistakes;
 * positionals are refused unless `allowPositionals` (the command checks how many it takes).
 */
export function readOptions<S extends OptionSpecs>(
  specs: S,
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  options: { allowPositionals?: boolean } = {},
): OptionReading<S> {
  const problems = new Problems();
  const positionals: string[] = [];
  const texts = new Map<string, { label: string; texts: string[] } | { label: string; flag: true }>();
  const specOf = (name: string): OptionSpec | undefined =>
    Object.hasOwn(specs, name) ? specs[name] : undefined;

  const { tokens } = parseArgs({
    args: [...args],
    options: Object.fromEntries(
      Object.entries(specs).map(([name, s]) => [name, { type: s.type, multiple: s.multiple === true }]),
    ),
    // Not strict: parseArgs would throw at the first mistake, and refuse values that start with a dash
    // (`--location -33.87,151.21`).
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  for (const token of tokens) {
    if (token.kind === 'positional') {
      if (options.allowPositionals) positionals.push(token.value);
      else problems.add(`unexpected argument ${quote(token.value)}`);
      continue;
    }
    if (token.kind !== 'option') continue;
    const spec = specOf(token.name);
    if (spec === undefined) {
      problems.add(`Unknown option '${token.rawName}'`);
      continue;
    }
    const label = `--${token.name}`;
    if (spec.type === 'boolean') {
      if (token.value !== undefined) problems.add(`${label} takes no value`);
      texts.set(token.name, { label, flag: true });
      continue;
    }
    const previous = texts.get(token.name);
    // A separate value that is itself a flag means the value was forgotten (`--port --no-schedule`).
    if (token.value === undefined || (!token.inlineValue && token.value.startsWith('--'))) {
      problems.add(`${label} needs a value`);
      if (previous === undefined) texts.set(token.name, { label, texts: [] });
    } else if (previous !== undefined && 'texts' in previous && spec.multiple) {
      previous.texts.push(token.value);
    } else if (previous !== undefined) {
      problems.add(`${label} is given more than once`);
    } else {
      texts.set(token.name, { label, texts: [token.value] });
    }
  }

  for (const [name, spec] of Object.entries(specs)) {
    const raw = spec.env === undefined || texts.has(name) ? undefined : env[spec.env];
    if (raw === undefined || spec.env === undefined) continue;
    if (spec.type === 'string') {
      texts.set(name, {
        label: spec.env,
        texts: spec.multiple ? raw.split(/\s+/).filter((t) => t !== '') : [raw],
      });
    } else if (TRUE_WORDS.has(raw.trim().toLowerCase())) {
      texts.set(name, { label: spec.env, flag: true });
    } else if (!FALSE_WORDS.has(raw.trim().toLowerCase())) {
      problems.add(`${spec.env}: ${quote(raw)} is neither true (1, yes, on) nor false (0, no, off)`);
    }
  }

  // Parsed in the order given (flags as typed, then variables), so the problems read in that order too.
  const parsed = new Map<string, unknown[]>();
  for (const [name, given] of texts) {
    const parse = specOf(name)?.parse ?? ((text: string) => text);
    if ('texts' in given) {
      const results = given.texts.map((text) => problems.check(given.label, () => parse(text)));
      parsed.set(
        name,
        results.filter((v) => v !== undefined),
      );
    }
  }
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const results = parsed.get(name) ?? [];
    if (spec.type === 'boolean') values[name] = texts.has(name);
    else if (spec.multiple) values[name] = texts.has(name) ? results : (spec.default ?? []);
    else values[name] = results.length === 0 ? spec.default : results[0];
  }
  return {
    values: values as OptionValues<S>,
    positionals,
    problems,
    source: (name) => texts.get(name)?.label ?? null,
  };
}
