/**
 * serve's windows and retention that were coordinator options only: the task window, the event stream's
 * retention, the baseline window and re-judging's window and bound. Each read through the one option reader,
 * from a flag or its variable, validated, and passed to the coordinator by serveSettings.
 */
import { describe, expect, it } from 'vitest';
import { DetourwatchError } from '../../protocol/errors.ts';
import { loadServeOptions } from '../../server/config/serve-config.ts';
import { serveSettings } from '../../server/coordinator.ts';
import { DEFAULT_EVENT_RETENTION_MS, DEFAULT_EVENTS_KEPT } from '../../server/events/event-retention.ts';
import { DEFAULT_TASK_WINDOW_MS } from '../../server/hub/task-check.ts';
import { DEFAULT_BASELINE_WINDOW } from '../../server/incidents/baseline.ts';
import { DEFAULT_REJUDGE } from '../../server/placement/rejudge.ts';

const DAY = 86_400_000;

function problems(args: string[], env: Record<string, string> = {}): string {
  try {
    loadServeOptions(args, env);
  } catch (err) {
    expect(err).toBeInstanceOf(DetourwatchError);
    expect((err as DetourwatchError).code).toBe('USAGE');
    return (err as Error).message;
  }
  throw new Error('expected a USAGE error');
}

describe('serve --task-window, --events-keep-*, --baseline-*, --rejudge-*', () => {
  it("defaults to the coordinator's own defaults, the task window covering a night offline", () => {
    const { config, history } = loadServeOptions([], {});
    expect(config.taskWindowMs).toBe(DEFAULT_TASK_WINDOW_MS);
    // An agent offline overnight (say 22:00 to 08:00) still delivers into the window.
    expect(DEFAULT_TASK_WINDOW_MS).toBeGreaterThanOrEqual(10 * 3_600_000);
    expect(config.events).toEqual({ retentionMs: DEFAULT_EVENT_RETENTION_MS, keep: DEFAULT_EVENTS_KEPT });
    expect(config.baselineWindow).toEqual(DEFAULT_BASELINE_WINDOW);
    expect(config.rejudge).toEqual(DEFAULT_REJUDGE);
    const settings = serveSettings(config, history);
    expect(settings.taskWindowMs).toBe(DEFAULT_TASK_WINDOW_MS);
    expect(settings.history.baselineWindow).toEqual(DEFAULT_BASELINE_WINDOW);
  });

  it('takes flags, then variables, and hands them to the coordinator', () => {
    const { config, history } = loadServeOptions(
      ['--task-window', '36h', '--events-keep-days', '3', '--baseline-window', '96', '--rejudge-max', '200'],
      {
        DETOURWATCH_TASK_WINDOW: '5m',
        DETOURWATCH_EVENTS_KEEP_MIN: '50',
        DETOURWATCH_BASELINE_MAX_AGE: '2d',
        DETOURWATCH_REJUDGE_DAYS: '7',
      },
    );
    expect(config.taskWindowMs).toBe(36 * 3_600_000);
    expect(config.events).toEqual({ retentionMs: 3 * DAY, keep: 50 });
    expect(config.baselineWindow).toEqual({ traces: 96, maxAgeMs: 2 * DAY });
    expect(config.rejudge).toEqual({ windowMs: 7 * DAY, maxTraces: 200 });
    const settings = serveSettings(config, history);
    expect(settings).toMatchObject({
      taskWindowMs: 36 * 3_600_000,
      events: { retentionMs: 3 * DAY, keep: 50 },
      corrections: { rejudge: { windowMs: 7 * DAY, maxTraces: 200 } },
      history: { baselineWindow: { traces: 96, maxAgeMs: 2 * DAY } },
    });
  });

  it('refuses values out of range, every one named in one error', () => {
    const message = problems(
      [
        '--task-window',
        '10s',
        '--events-keep-days',
        '0',
        '--events-keep-min',
        '-1',
        '--baseline-window',
        '1',
        '--baseline-max-age',
        'forever',
        '--rejudge-days',
        '1.5',
      ],
      { DETOURWATCH_REJUDGE_MAX: '0' },
    );
    for (const name of [
      '--task-window',
      '--events-keep-days',
      '--events-keep-min',
      '--baseline-window',
      '--baseline-max-age',
      '--rejudge-days',
      'DETOURWATCH_REJUDGE_MAX',
    ])
      expect(message).toContain(name);
    expect(problems(['--task-window', '31d'])).toContain('--task-window');
  });

  it('takes a late mark of seconds (a replay within a test), not less', () => {
    expect(loadServeOptions(['--late-after', '2s'], {}).history.lateAfterMs).toBe(2000);
    expect(problems(['--late-after', '500ms'])).toContain('--late-after');
  });

  it('--webhook-route-changes opts the --webhook URLs in to route.changed; without it they are not', () => {
    const url = 'http://127.0.0.1:9/hook';
    const plain = loadServeOptions(['--webhook', url], {}).history.webhooks[0];
    expect(plain?.events).not.toContain('route.changed');
    const opted = loadServeOptions(['--webhook', url], { DETOURWATCH_WEBHOOK_ROUTE_CHANGES: '1' }).history
      .webhooks[0];
    expect(opted?.events).toEqual([...(plain?.events ?? []), 'route.changed']);
    expect(problems(['--webhook-route-changes'])).toContain('--webhook-route-changes');
  });
});
