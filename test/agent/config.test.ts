import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AGENT_ENDPOINT,
  agentEndpointUrl,
  DEFAULT_LIMITS,
  defaultOutboxDir,
  parseAgentConfig,
} from '../../agent/config.ts';
import { DetourwatchError } from '../../protocol/errors.ts';

const HOME = '/home/volunteer';

function problemsOf(args: string[], env: Record<string, string> = {}): string {
  try {
    parseAgentConfig(args, env, HOME);
  } catch (err) {
    expect(err).toBeInstanceOf(DetourwatchError);
    expect((err as DetourwatchError).code).toBe('USAGE');
    return (err as Error).message;
  }
  throw new Error('expected the options to be refused');
}

describe('parseAgentConfig', () => {
  it('takes the token from DETOURWATCH_TOKEN and fills in documented defaults', () => {
    const c = parseAgentConfig(['--server', 'ws://coord:8080'], { DETOURWATCH_TOKEN: 'tok-123' }, HOME);
    expect(c).toEqual({
      serverUrl: `ws://coord:8080${AGENT_ENDPOINT}`,
      token: 'tok-123',
      location: null,
      limits: DEFAULT_LIMITS,
      engine: 'auto',
      outboxDir: path.join(HOME, '.local/state/detourwatch/outbox'),
      allowSpecialTargets: false,
      ca: null,
    });
  });

  it('reads every option, in both --name value and --name=value forms; --token wins over the environment', () => {
    const c = parseAgentConfig(
      [
        '--server=wss://coord.example/dw/',
        '--token',
        'from-flag',
        '--location',
        '-33.87,151.21',
        '--max-concurrent=4',
        '--max-per-minute',
        '90',
        '--engine',
        'mtr',
        '--outbox',
        'rel/outbox',
        '--allow-special-targets',
      ],
      { DETOURWATCH_TOKEN: 'from-env' },
      HOME,
    );
    expect(c.serverUrl).toBe(`wss://coord.example/dw${AGENT_ENDPOINT}`);
    expect(c.token).toBe('from-flag');
    expect(c.location).toEqual({ lat: -33.87, lon: 151.21 });
    expect(c.limits).toEqual({ maxConcurrent: 4, maxPerMinute: 90 });
    expect(c.engine).toBe('mtr');
    expect(c.outboxDir).toBe(path.resolve('rel/outbox'));
    expect(c.allowSpecialTargets).toBe(true);
  });

  it('reports all problems at once, one per line', () => {
    const msg = problemsOf([
      '--server',
      'gopher://x',
      '--location',
      '91,0',
      '--max-concurrent',
      '0',
      '--max-per-minute',
      '2.5',
      '--engine',
      'ping',
      '--frobnicate',
      'stray',
    ]);
    const lines = msg.split('\n');
    expect(lines[0]).toBe('8 problems with the options:');
    expect(lines.at(-1)).toBe('Run `detourwatch agent --help` for the options.');
    const listed = lines.slice(1, -1);
    expect(listed.every((l) => l.startsWith('  - '))).toBe(true);
    for (const needle of [
      '--server: "gopher://x" must start with ws://',
      '--location: latitude 91 is outside -90..90',
      '--max-concurrent: "0" is not a whole number from 1 to 1000',
      '--max-per-minute: "2.5" is not a whole number from 1 to 100000',
      '--engine: "ping" is not one of auto, scamper, mtr, traceroute',
      "Unknown option '--frobnicate'",
      'unexpected argument "stray"',
      'a token is required: set DETOURWATCH_TOKEN',
    ]) {
      expect(
        listed.some((l) => l.includes(needle)),
        needle,
      ).toBe(true);
    }
  });

  it('refuses tokens a header cannot carry, and options given twice or without a value', () => {
    expect(problemsOf(['--server', 'ws://c'], { DETOURWATCH_TOKEN: 'has space' })).toContain(
      'DETOURWATCH_TOKEN: the token contains spaces',
    );
    expect(problemsOf(['--server', 'ws://c', '--token', 'a', '--token', 'b'])).toContain('more than once');
    expect(problemsOf(['--token', 'a', '--server'])).toMatch(/^--server needs a value\nRun/);
    expect(problemsOf(['--server', 'ws://c', '--token', 'a', '--allow-special-targets=yes'])).toContain(
      'takes no value',
    );
  });
});

describe('agentEndpointUrl', () => {
  it.each([
    ['ws://coord:8080', 'ws://coord:8080/api/v1/agent'],
    ['http://127.0.0.1:8080/', 'ws://127.0.0.1:8080/api/v1/agent'],
    ['https://coord.example', 'wss://coord.example/api/v1/agent'],
    ['wss://coord.example/api/v1/agent', 'wss://coord.example/api/v1/agent'],
    ['ws://[::1]:9000/proxy', 'ws://[::1]:9000/proxy/api/v1/agent'],
  ])('%s -> %s', (input, expected) => {
    expect(agentEndpointUrl(input)).toBe(expected);
  });

  it.each([
    ['ftp://coord', /must start with ws/],
    ['ws://user:pw@coord', /credentials/],
    ['ws://coord/?token=x', /query/],
    ['coord:8080', /must start with ws/],
    ['not a url', /not a URL/],
  ])('refuses %s', (input, why) => {
    expect(() => agentEndpointUrl(input)).toThrow(why);
  });
});

describe('--location', () => {
  it('reads decimal degrees with optional spaces (the LAT,LON parser of every command)', () => {
    const c = parseAgentConfig(
      ['--server', 'ws://c', '--location', '37.77, -122.42'],
      { DETOURWATCH_TOKEN: 't' },
      HOME,
    );
    expect(c.location).toEqual({ lat: 37.77, lon: -122.42 });
  });
  it.each(['37.77', '37.77,-122.42,5', 'N37,W122', '0,181', '1e1,2'])('refuses %s', (input) => {
    expect(problemsOf(['--server', 'ws://c', '--location', input], { DETOURWATCH_TOKEN: 't' })).toMatch(
      /^--location: /,
    );
  });
});

describe('defaultOutboxDir', () => {
  it('prefers an absolute XDG_STATE_HOME and ignores a relative one (the XDG spec says to)', () => {
    expect(defaultOutboxDir({ XDG_STATE_HOME: '/var/state' }, HOME)).toBe('/var/state/detourwatch/outbox');
    expect(defaultOutboxDir({ XDG_STATE_HOME: 'state' }, HOME)).toBe(
      `${HOME}/.local/state/detourwatch/outbox`,
    );
  });
});
