import { describe, expect, it } from 'vitest';
import { DetourwatchError } from '../../protocol/errors.ts';
import { type OptionSpecs, readOptions } from '../../protocol/options.ts';
import { parseDuration } from '../../protocol/values/duration.ts';
import { parseLatLon } from '../../protocol/values/lat-lon.ts';
import { parseIntIn } from '../../protocol/values/number.ts';

const SPECS = {
  name: { type: 'string' },
  quiet: { type: 'boolean', env: 'TEST_QUIET' },
  every: { type: 'string', env: 'TEST_EVERY', parse: parseDuration, default: 60_000 },
  at: { type: 'string', parse: parseLatLon },
  hook: { type: 'string', multiple: true, env: 'TEST_HOOKS' },
  count: { type: 'string', parse: (t: string) => parseIntIn(t, 1, 9) },
} as const satisfies OptionSpecs;

function usageMessage(run: () => void): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(DetourwatchError);
    expect((err as DetourwatchError).code).toBe('USAGE');
    return (err as Error).message;
  }
  throw new Error('expected a USAGE error');
}

describe('the option reader', () => {
  it('reads --name value, --name=value and flags, parses values and fills in defaults', () => {
    const { values, positionals, problems, source } = readOptions(
      SPECS,
      ['--name=x', '--quiet', '--at', '-33.87,151.21', '--hook', 'a', '--hook=b'],
      {},
    );
    expect(problems.list).toEqual([]);
    expect(positionals).toEqual([]);
    expect(values).toEqual({
      name: 'x',
      quiet: true,
      every: 60_000,
      at: { lat: -33.87, lon: 151.21 },
      hook: ['a', 'b'],
      count: undefined,
    });
    expect([source('name'), source('every')]).toEqual(['--name', null]);
  });

  it('falls back to the variables, flags first; a repeatable option splits its variable on spaces', () => {
    const env = { TEST_QUIET: 'yes', TEST_EVERY: '2h', TEST_HOOKS: ' http://a  http://b ' };
    const fromEnv = readOptions(SPECS, [], env);
    expect(fromEnv.values).toMatchObject({ quiet: true, every: 7_200_000, hook: ['http://a', 'http://b'] });
    expect(fromEnv.source('every')).toBe('TEST_EVERY');
    const fromFlags = readOptions(SPECS, ['--every', '90s', '--hook', 'http://c'], env);
    expect(fromFlags.values).toMatchObject({ every: 90_000, hook: ['http://c'] });
    expect(readOptions(SPECS, [], { TEST_QUIET: 'off' }).values.quiet).toBe(false);
  });

  it('collects every problem, naming the flag or the variable each value came from', () => {
    const { problems } = readOptions(
      SPECS,
      [
        '--every',
        '90',
        '--at',
        '91,0',
        '--count',
        '0',
        '--bogus',
        'stray',
        '--quiet=yes',
        '--name',
        'a',
        '--name',
        'b',
      ],
      { TEST_HOOKS: 'http://a' },
    );
    expect(problems.list).toEqual([
      "Unknown option '--bogus'",
      'unexpected argument "stray"',
      '--quiet takes no value',
      '--name is given more than once',
      expect.stringMatching(/^--every: "90" has no unit/),
      expect.stringMatching(/^--at: latitude 91 is outside/),
      '--count: "0" is not a whole number from 1 to 9',
    ]);
    const fromEnv = readOptions(SPECS, [], { TEST_EVERY: 'soon', TEST_QUIET: 'perhaps' });
    expect(fromEnv.problems.list).toEqual([
      'TEST_QUIET: "perhaps" is neither true (1, yes, on) nor false (0, no, off)',
      expect.stringMatching(/^TEST_EVERY: "soon" is not a duration/),
    ]);
  });

  it('takes a flag after a value-taking flag as a missing value, not as the value', () => {
    const { problems, source } = readOptions(SPECS, ['--name', '--quiet'], {});
    expect(problems.list).toEqual(['--name needs a value']);
    expect(source('name')).toBe('--name');
  });

  it('keeps positionals only when the command takes them', () => {
    const reading = readOptions(
      SPECS,
      ['show', '12', '--quiet', '--', '--not-a-flag'],
      {},
      { allowPositionals: true },
    );
    expect(reading.positionals).toEqual(['show', '12', '--not-a-flag']);
    expect(reading.problems.list).toEqual([]);
  });

  it('throws one USAGE error: one problem as it is, several counted and listed, then where help is', () => {
    const one = readOptions(SPECS, ['--count', 'x'], {});
    expect(usageMessage(() => one.problems.throwIfAny('test'))).toBe(
      '--count: "x" is not a whole number from 1 to 9\nRun `detourwatch test --help` for the options.',
    );
    const two = readOptions(SPECS, ['--count', 'x', '--every', '1d', '--at', 'here'], {});
    expect(usageMessage(() => two.problems.throwIfAny('test')).split('\n')).toEqual([
      '2 problems with the options:',
      '  - --count: "x" is not a whole number from 1 to 9',
      '  - --at: "here" is not LAT,LON in decimal degrees (e.g. 37.77,-122.42)',
      'Run `detourwatch test --help` for the options.',
    ]);
    expect(() => readOptions(SPECS, [], {}).problems.throwIfAny('test')).not.toThrow();
  });

  it("lets programming errors in a parser through rather than calling them the user's", () => {
    const specs = {
      x: {
        type: 'string',
        parse: () => {
          throw new TypeError('bug');
        },
      },
    } as const satisfies OptionSpecs;
    expect(() => readOptions(specs, ['--x', '1'], {})).toThrow(TypeError);
  });

  it('does not mistake inherited object properties for options', () => {
    expect(readOptions(SPECS, ['--constructor', '--__proto__=1'], {}).problems.list).toEqual([
      "Unknown option '--constructor'",
      "Unknown option '--__proto__'",
    ]);
  });
});
