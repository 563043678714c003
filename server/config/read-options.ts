import { parseArgs } from 'node:util';

/** One command-line option, and the environment variable that supplies it when the flag is absent. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  env?: string;
}

export type OptionValues<K extends string> = Partial<Record<K, string | true>>;

const TRUE_WORDS = new Set(['1', 'true', 'yes', 'on']);
const FALSE_WORDS = new Set(['0', 'false', 'no', 'off', '']);

/**
 * Reads flags, then environment variables for flags not given. Never throws: every unknown flag, missing
 * value or stray argument becomes a line in `problems`, so the user sees them all at once.
 */
export function readOptions<K extends string>(
  specs: Record<K, OptionSpec>,
  args: string[],
  env: Record<string, string | undefined>,
): { values: OptionValues<K>; problems: string[] } {
  const problems: string[] = [];
  const values: OptionValues<K> = {};
  const known = new Map(Object.entries<OptionSpec>(specs));
  const { tokens } = parseArgs({
    args,
    options: Object.fromEntries([...known].map(([name, spec]) => [name, { type: spec.type }])),
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  for (const token of tokens) {
    if (token.kind === 'positional') {
      problems.push(`unexpected argument "${token.value}"`);
      continue;
    }
    if (token.kind !== 'option') continue;
    const spec = known.get(token.name);
    if (!spec) {
      problems.push(`unknown option ${token.rawName}`);
      continue;
    }
    if (spec.type === 'boolean') {
      if (token.value !== undefined) problems.push(`${token.rawName} takes no value`);
      else values[token.name as K] = true;
    } else if (token.value === undefined || (!token.inlineValue && token.value.startsWith('--'))) {
      problems.push(`${token.rawName} needs a value`);
    } else values[token.name as K] = token.value;
  }
  for (const [name, spec] of known) {
    const raw = spec.env === undefined ? undefined : env[spec.env];
    if (values[name as K] !== undefined || raw === undefined) continue;
    if (spec.type === 'string') values[name as K] = raw;
    else if (TRUE_WORDS.has(raw.toLowerCase())) values[name as K] = true;
    else if (!FALSE_WORDS.has(raw.toLowerCase()))
      problems.push(`${spec.env} must be true or false, not "${raw}"`);
  }
  return { values, problems };
}
