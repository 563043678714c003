import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../server/config/duration.ts';
import { readOptions } from '../../server/config/read-options.ts';
import { DEFAULT_TARGETS_FILE, loadServeConfig } from '../../server/config/serve-config.ts';

function problems(args: string[], env: Record<string, string> = {}): string {
  try {
    loadServeConfig(args, env);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected a USAGE error');
}

describe('serve configuration', () => {
  it('defaults to this machine only, port 8080, ./data, the shipped catalogue, recurring every 15 minutes', () => {
    const config = loadServeConfig([], {});
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      dataDir: path.resolve('data'),
      targetsFile: DEFAULT_TARGETS_FILE,
      targetsAreDefault: true,
      intervalMs: 15 * 60_000,
      schedule: true,
      heartbeatMs: 15_000,
      cityDb: undefined,
      homeCountry: undefined,
      kmPerMs: undefined,
      lookUpDocumentation: false,
    });
  });

  it('takes flags over DETOURWATCH_* variables', () => {
    const env = {
      DETOURWATCH_PORT: '9000',
      DETOURWATCH_HOST: '0.0.0.0',
      DETOURWATCH_NO_SCHEDULE: 'true',
      DETOURWATCH_INTERVAL: '1h',
    };
    const config = loadServeConfig(['--port', '0', '--home-country', 'ca', '--km-per-ms', '66.7'], env);
    expect(config).toMatchObject({
      port: 0,
      host: '0.0.0.0',
      schedule: false,
      intervalMs: 3_600_000,
      homeCountry: 'CA',
      kmPerMs: 66.7,
    });
  });

  it('reports every problem in one error', () => {
    const message = problems(
      [
        '--port',
        '70000',
        '--km-per-ms',
        '0',
        '--interval',
        '10ms',
        '--city-db',
        '/nonexistent.mmdb',
        'extra',
        '--what',
      ],
      {
        DETOURWATCH_NO_SCHEDULE: 'perhaps',
      },
    );
    for (const expected of [
      '--port',
      '--km-per-ms',
      '--interval',
      '--city-db',
      '"extra"',
      '--what',
      'DETOURWATCH_NO_SCHEDULE',
    ]) {
      expect(message).toContain(expected);
    }
  });

  it('a flag missing its value is a problem, not the next flag swallowed', () => {
    expect(problems(['--port', '--no-schedule'])).toMatch(/--port needs a value/);
  });
});

describe('durations', () => {
  it.each([
    ['90', 90_000],
    ['90s', 90_000],
    ['15m', 900_000],
    ['1h', 3_600_000],
    ['250ms', 250],
    ['1.5m', 90_000],
  ])('%s is %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 'soon', '-5s', '5 d', '1e3'])('"%s" is not a duration', (text) => {
    expect(parseDuration(text)).toBeNull();
  });

  it('formats for logs', () => {
    expect([900_000, 3_600_000, 1500, 30_000].map(formatDuration)).toEqual(['15m', '1h', '1500ms', '30s']);
  });
});

describe('reading options', () => {
  it('accepts --flag=value and boolean flags, refuses a value on a boolean', () => {
    const specs = { name: { type: 'string' }, quiet: { type: 'boolean' } } as const;
    expect(readOptions(specs, ['--name=x', '--quiet'], {})).toEqual({
      values: { name: 'x', quiet: true },
      problems: [],
    });
    expect(readOptions(specs, ['--quiet=yes'], {}).problems).toEqual(['--quiet takes no value']);
  });
});
