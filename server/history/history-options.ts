import { readFileSync } from 'node:fs';
import { DetourwatchError, describeError } from '../../protocol/errors.ts';
import { type OptionReading, type OptionSpecs, readOptions } from '../../protocol/options.ts';
import { parseDurationIn } from '../../protocol/values/duration.ts';
import { parseIntIn } from '../../protocol/values/number.ts';
import { parseWebhookConfig, type WebhookTarget, webhookTarget } from '../alerts/webhook-config.ts';
import { DEFAULT_QUIET_MS } from '../incidents/tracker.ts';
import { DEFAULT_CORROBORATION_RULES } from '../incidents/witnesses.ts';

/** `detourwatch serve`'s options for incidents, alerts and retention. */
export interface HistoryConfig {
  quietMs: number;
  webhooks: WebhookTarget[];
  retainHopsDays: number | null;
  /** Independent verified witnesses an incident needs before it is published (1: at once). */
  corroboration: number;
  /** At most this many of one owner's agents in one ASN and city count as witnesses. */
  maxWitnessesPerOwner: number;
}

/** Shorter than a minute, one incident would split at every pause between two traces. */
export const parseIncidentQuiet = (text: string): number => parseDurationIn(text, { min: 60_000 });

export const HISTORY_OPTIONS = {
  'incident-quiet': {
    type: 'string',
    env: 'DETOURWATCH_INCIDENT_QUIET',
    parse: parseIncidentQuiet,
    default: DEFAULT_QUIET_MS,
  },
  webhook: { type: 'string', multiple: true, env: 'DETOURWATCH_WEBHOOKS' },
  'webhook-secret': { type: 'string', env: 'DETOURWATCH_WEBHOOK_SECRET' },
  'webhook-config': { type: 'string', env: 'DETOURWATCH_WEBHOOK_CONFIG' },
  'retain-hops-days': {
    type: 'string',
    env: 'DETOURWATCH_RETAIN_HOPS_DAYS',
    parse: (t: string) => parseIntIn(t, 1, 99_999),
    default: null,
  },
  corroboration: {
    type: 'string',
    env: 'DETOURWATCH_CORROBORATION',
    parse: (t: string) => parseIntIn(t, 1, 100),
    default: DEFAULT_CORROBORATION_RULES.corroboration,
  },
  'max-witnesses-per-owner': {
    type: 'string',
    env: 'DETOURWATCH_MAX_WITNESSES_PER_OWNER',
    parse: (t: string) => parseIntIn(t, 1, 1000),
    default: DEFAULT_CORROBORATION_RULES.maxWitnessesPerOwner,
  },
} as const satisfies OptionSpecs;

export type ReadFile = (file: string) => string;
const readUtf8: ReadFile = (file) => readFileSync(file, 'utf8');

/**
 * The history configuration from options already read (alone, or with serve's own); webhook problems join
 * the reading's problems. The webhooks need the secret, so they are checked here rather than per value.
 */
export function historyConfigFrom(
  reading: OptionReading<typeof HISTORY_OPTIONS>,
  readFile: ReadFile = readUtf8,
): HistoryConfig {
  const { values, problems, source } = reading;
  const secret = values['webhook-secret'] ?? null;
  const webhooks: WebhookTarget[] = [];
  for (const url of values.webhook) {
    const target = problems.check(null, () =>
      webhookTarget(url, secret, undefined, source('webhook') ?? '--webhook'),
    );
    if (target) webhooks.push(target);
  }
  const file = values['webhook-config'];
  if (file !== undefined) {
    try {
      webhooks.push(...parseWebhookConfig(readFile(file), file, secret));
    } catch (err) {
      problems.add(
        err instanceof DetourwatchError
          ? err.message
          : `${source('webhook-config')} ${file}: cannot read it (${describeError(err)})`,
      );
    }
  }
  return {
    quietMs: values['incident-quiet'],
    webhooks,
    retainHopsDays: values['retain-hops-days'],
    corroboration: values.corroboration,
    maxWitnessesPerOwner: values['max-witnesses-per-owner'],
  };
}

/** The history options alone (tests, benchmarks); `serve` reads them together with its own. */
export function loadHistoryConfig(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  readFile: ReadFile = readUtf8,
): HistoryConfig {
  const reading = readOptions(HISTORY_OPTIONS, args, env);
  const config = historyConfigFrom(reading, readFile);
  reading.problems.throwIfAny('serve');
  return config;
}
