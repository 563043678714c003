import { describe, expect, it } from 'vitest';
import { loadHistoryConfig } from '../../server/history/history-options.ts';
import { DEFAULT_QUIET_MS } from '../../server/incidents/tracker.ts';
import { DEFAULT_LATE_AFTER_MS } from '../../server/ingest/late.ts';

const noFile = (file: string): string => {
  throw new Error(`ENOENT: ${file}`);
};

describe("serve's history options", () => {
  it('reads its flags, a repeated --webhook in order, the secret from the environment', () => {
    const config = loadHistoryConfig(
      [
        '--webhook',
        'http://127.0.0.1:9/a',
        '--webhook=https://hooks.example/b',
        '--retain-hops-days',
        '30',
        '--incident-quiet=90m',
      ],
      { DETOURWATCH_WEBHOOK_SECRET: 's3cret' },
      noFile,
    );
    expect(config.quietMs).toBe(90 * 60_000);
    expect(config.retainHopsDays).toBe(30);
    expect(config.webhooks.map((w) => [w.url, w.secret])).toEqual([
      ['http://127.0.0.1:9/a', 's3cret'],
      ['https://hooks.example/b', 's3cret'],
    ]);
  });

  it('defaults to no webhook, no retention and the default quiet period', () => {
    expect(loadHistoryConfig([], {}, noFile)).toEqual({
      quietMs: DEFAULT_QUIET_MS,
      webhooks: [],
      retainHopsDays: null,
      corroboration: 2,
      maxWitnessesPerOwner: 2,
      lateAfterMs: DEFAULT_LATE_AFTER_MS,
    });
  });

  it('reads the environment and a configuration file', () => {
    const config = loadHistoryConfig(
      ['--webhook-config', 'hooks.json'],
      {
        DETOURWATCH_WEBHOOKS: 'http://127.0.0.1:1/x  http://127.0.0.1:2/y',
        DETOURWATCH_RETAIN_HOPS_DAYS: '7',
      },
      () => '{"webhooks":[{"url":"https://z.example/hook","secret":"own","events":["incident.opened"]}]}',
    );
    expect(config.webhooks.map((w) => w.url)).toEqual([
      'http://127.0.0.1:1/x',
      'http://127.0.0.1:2/y',
      'https://z.example/hook',
    ]);
    expect(config.webhooks[2]?.events).toEqual(['incident.opened']);
    expect(config.retainHopsDays).toBe(7);
  });

  it('lists every problem at once', () => {
    expect(() =>
      loadHistoryConfig(
        [
          '--webhook',
          'ftp://x',
          '--retain-hops-days',
          '0',
          '--incident-quiet',
          'soon',
          '--webhook-config',
          'h.json',
          '--webhook',
        ],
        {},
        noFile,
      ),
    ).toThrow(
      /--webhook needs a value[\s\S]*--retain-hops-days: "0" is not a whole number[\s\S]*--incident-quiet: "soon" is not a duration[\s\S]*http:\/\/ or https:\/\/[\s\S]*--webhook-config h.json: cannot read it/,
    );
  });

  it('names the variable a bad webhook came from', () => {
    expect(() =>
      loadHistoryConfig([], { DETOURWATCH_WEBHOOKS: 'http://127.0.0.1:1/x ftp://y' }, noFile),
    ).toThrow(/DETOURWATCH_WEBHOOKS: a webhook URL must start with http:\/\/ or https:\/\//);
  });
});
