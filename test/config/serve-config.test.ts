import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DetourwatchError } from '../../protocol/errors.ts';
import { DEFAULT_TARGETS_FILE, loadServeConfig, loadServeOptions } from '../../server/config/serve-config.ts';
import { DEFAULT_QUIET_MS } from '../../server/incidents/tracker.ts';
import { DEFAULT_LATE_AFTER_MS } from '../../server/ingest/late.ts';

const noFile = (file: string): string => {
  throw new Error(`ENOENT: ${file}`);
};

function problems(args: string[], env: Record<string, string> = {}): string {
  try {
    loadServeOptions(args, env, noFile);
  } catch (err) {
    expect(err).toBeInstanceOf(DetourwatchError);
    expect((err as DetourwatchError).code).toBe('USAGE');
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

describe("serve's options and the history's, read together", () => {
  it('reads both sets from one argument list, with their variables', () => {
    const { config, history } = loadServeOptions(
      ['--port', '0', '--incident-quiet', '1d', '--webhook', 'http://127.0.0.1:9/a', '--interval=90s'],
      { DETOURWATCH_RETAIN_HOPS_DAYS: '30', DETOURWATCH_WEBHOOK_SECRET: 's3cret' },
      noFile,
    );
    expect(config).toMatchObject({ port: 0, intervalMs: 90_000 });
    expect(history).toMatchObject({ quietMs: 86_400_000, retainHopsDays: 30 });
    expect(history.webhooks.map((w) => [w.url, w.secret])).toEqual([['http://127.0.0.1:9/a', 's3cret']]);
    expect(loadServeOptions([], {}, noFile).history).toEqual({
      quietMs: DEFAULT_QUIET_MS,
      webhooks: [],
      retainHopsDays: null,
      corroboration: 2,
      maxWitnessesPerOwner: 2,
      lateAfterMs: DEFAULT_LATE_AFTER_MS,
    });
  });

  it('reports two bad flags of the two sets in one error, each named', () => {
    const message = problems(['--interval', '90', '--incident-quiet', '30s']);
    expect(message.split('\n')).toEqual([
      '2 problems with the options:',
      '  - --interval: "90" has no unit: add one, e.g. 90s or 90m (a whole number and a unit: 500ms, 90s, 15m, 2h, 1d, 2w)',
      '  - --incident-quiet: "30s" is shorter than 1m',
      'Run `detourwatch serve --help` for the options.',
    ]);
  });

  it('names the variable when the bad value came from the environment', () => {
    expect(problems([], { DETOURWATCH_INTERVAL: '1.5m', DETOURWATCH_PORT: 'http' })).toMatch(
      /DETOURWATCH_PORT: "http" is not a whole number[\s\S]*DETOURWATCH_INTERVAL: "1.5m" is not a duration/,
    );
  });

  it('checks the tile URL at startup', () => {
    expect(loadServeConfig(['--tile-url', 'https://{s}.tile.example/{z}/{x}/{y}.png'], {}).tileUrl).toBe(
      'https://{s}.tile.example/{z}/{x}/{y}.png',
    );
    expect(problems(['--tile-url', 'https://tile.example/{z}/{x}.png'])).toMatch(
      /--tile-url: tile URL .* lacks \{y\}/,
    );
  });
});
