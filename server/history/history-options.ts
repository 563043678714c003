import { readFileSync } from 'node:fs';
import { DetourwatchError, describeError } from '../../protocol/errors.ts';
import { parseWebhookConfig, type WebhookTarget, webhookTarget } from '../alerts/webhook-config.ts';
import { DEFAULT_QUIET_MS } from '../incidents/tracker.ts';
import { parseDuration } from './param-parsers.ts';

/** `detourwatch serve`'s options for incidents, alerts and retention. */
export interface HistoryConfig {
  quietMs: number;
  webhooks: WebhookTarget[];
  retainHopsDays: number | null;
}

export const HISTORY_USAGE = `
Incidents, alerts and retention:
  --incident-quiet DUR an incident closes after this long without a detour of its cause: 30m, 2h, 1d
                       (default 2h)                                              DETOURWATCH_INCIDENT_QUIET
  --webhook URL        POST a signed JSON alert to URL when an incident opens or closes; repeat for
                       several receivers (variable: space-separated URLs)        DETOURWATCH_WEBHOOKS
  --webhook-secret S   shared secret for the X-Detourwatch-Signature HMAC (prefer the variable: a flag
                       shows in the process list)                                DETOURWATCH_WEBHOOK_SECRET
  --webhook-config F   JSON file: {"webhooks":[{"url":"...","secret":"...","events":["incident.opened"]}]}
                                                                                 DETOURWATCH_WEBHOOK_CONFIG
  --retain-hops-days N delete raw hop rows and raw agent outputs older than N days, keeping verdicts and
                       incidents (default: keep everything)                      DETOURWATCH_RETAIN_HOPS_DAYS`;

const FLAGS = ['incident-quiet', 'webhook', 'webhook-secret', 'webhook-config', 'retain-hops-days'] as const;
type Flag = (typeof FLAGS)[number];

/**
 * Takes this module's flags out of serve's arguments (`--flag value` or `--flag=value`; `--webhook` may be
 * repeated) and returns the rest for serve's own option reader, which refuses flags it does not know.
 */
export function splitHistoryArgs(args: readonly string[]): {
  values: Map<Flag, string[]>;
  rest: string[];
  problems: string[];
} {
  const values = new Map<Flag, string[]>();
  const rest: string[] = [];
  const problems: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const m = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    const flag = FLAGS.find((f) => f === m?.[1]);
    if (!m || flag === undefined) {
      rest.push(arg);
      continue;
    }
    let value = m[2];
    if (value === undefined) {
      const next = args[i + 1];
      if (next === undefined || next.startsWith('--')) {
        problems.push(`--${flag} needs a value`);
        continue;
      }
      value = next;
      i++;
    }
    values.set(flag, [...(values.get(flag) ?? []), value]);
  }
  return { values, rest, problems };
}

/** The history configuration from flags, then DETOURWATCH_* variables, then defaults; every problem at once. */
export function loadHistoryConfig(
  args: readonly string[],
  env: Record<string, string | undefined>,
  readFile: (file: string) => string = (f) => readFileSync(f, 'utf8'),
): { config: HistoryConfig; rest: string[] } {
  const { values, rest, problems } = splitHistoryArgs(args);
  const one = (flag: Flag, variable: string): string | undefined => {
    const given = values.get(flag);
    if (given && given.length > 1) problems.push(`--${flag} is given more than once`);
    return given?.[given.length - 1] ?? env[variable];
  };

  let quietMs = DEFAULT_QUIET_MS;
  const quiet = one('incident-quiet', 'DETOURWATCH_INCIDENT_QUIET');
  if (quiet !== undefined) {
    const ms = parseDuration(quiet.trim());
    if (ms === null || ms < 60_000)
      problems.push(`--incident-quiet must be a duration of at least 1m (30m, 2h, 1d), not "${quiet}"`);
    else quietMs = ms;
  }

  let retainHopsDays: number | null = null;
  const retain = one('retain-hops-days', 'DETOURWATCH_RETAIN_HOPS_DAYS');
  if (retain !== undefined) {
    const days = /^\d{1,5}$/.test(retain.trim()) ? Number(retain) : Number.NaN;
    if (!(days >= 1))
      problems.push(`--retain-hops-days must be a whole number of days, at least 1, not "${retain}"`);
    else retainHopsDays = days;
  }

  const secret = one('webhook-secret', 'DETOURWATCH_WEBHOOK_SECRET') ?? null;
  const webhooks: WebhookTarget[] = [];
  const urls = values.get('webhook') ?? (env.DETOURWATCH_WEBHOOKS ?? '').split(/\s+/).filter((u) => u !== '');
  for (const url of urls) {
    try {
      webhooks.push(webhookTarget(url, secret));
    } catch (err) {
      problems.push(describeError(err).replace(/^CONFIG_INVALID: /, ''));
    }
  }
  const file = one('webhook-config', 'DETOURWATCH_WEBHOOK_CONFIG');
  if (file !== undefined) {
    try {
      webhooks.push(...parseWebhookConfig(readFile(file), file, secret));
    } catch (err) {
      problems.push(
        err instanceof DetourwatchError
          ? err.message
          : `--webhook-config ${file}: cannot read it (${describeError(err)})`,
      );
    }
  }
  if (problems.length > 0) {
    const list = problems.map((p) => `\n  - ${p}`).join('');
    throw new DetourwatchError('USAGE', `${list}\nRun \`detourwatch serve --help\` for the options.`);
  }
  return { config: { quietMs, webhooks, retainHopsDays }, rest };
}
