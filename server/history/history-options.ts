import { readFileSync } from 'node:fs';
import { DetourwatchError, describeError } from '../../protocol/errors.ts';
import { INCIDENT_EVENT_KINDS, WEBHOOK_EVENT_KINDS } from '../../protocol/history-api.ts';
import { type OptionReading, type OptionSpecs, readOptions } from '../../protocol/options.ts';
import { parseAsnList } from '../../protocol/values/asn.ts';
import { parseChoice } from '../../protocol/values/choice.ts';
import { parseCountryList } from '../../protocol/values/country.ts';
import { parseDurationIn } from '../../protocol/values/duration.ts';
import { parseIntIn } from '../../protocol/values/number.ts';
import { CONFIDENCES } from '../../protocol/verdict.ts';
import { type AlertRule, ANY_RULE } from '../alerts/alert-rules.ts';
import { parseWebhookConfig, type WebhookTarget, webhookTarget } from '../alerts/webhook-config.ts';
import { DEFAULT_QUIET_MS } from '../incidents/tracker.ts';
import { DEFAULT_CORROBORATION_RULES } from '../incidents/witnesses.ts';
import { DEFAULT_LATE_AFTER_MS } from '../ingest/late.ts';

/** `detourwatch serve`'s options for incidents, alerts and retention. */
export interface HistoryConfig {
  quietMs: number;
  webhooks: WebhookTarget[];
  retainHopsDays: number | null;
  /** Independent verified witnesses an incident needs before it is published (1: at once). */
  corroboration: number;
  /** At most this many of one owner's agents in one ASN and city count as witnesses. */
  maxWitnessesPerOwner: number;
  /** A result arriving this long after it ended is marked late (server/ingest/late.ts). */
  lateAfterMs: number;
}

/** Shorter than a minute, one incident would split at every pause between two traces. */
export const parseIncidentQuiet = (text: string): number => parseDurationIn(text, { min: 60_000 });

/** Who hears of incidents and when: serve's, and `import atlas`'s (an import alerts like any other). */
export const ALERT_OPTIONS = {
  webhook: { type: 'string', multiple: true, env: 'DETOURWATCH_WEBHOOKS' },
  'webhook-secret': { type: 'string', env: 'DETOURWATCH_WEBHOOK_SECRET' },
  'webhook-config': { type: 'string', env: 'DETOURWATCH_WEBHOOK_CONFIG' },
  // Opt-in: the --webhook URLs also take `route.changed` (a config file lists it in a webhook's `events`).
  'webhook-route-changes': { type: 'boolean', env: 'DETOURWATCH_WEBHOOK_ROUTE_CHANGES' },
  // One rule for every --webhook URL (server/alerts/alert-rules.ts); the config file gives each its own.
  'webhook-min-confidence': {
    type: 'string',
    env: 'DETOURWATCH_WEBHOOK_MIN_CONFIDENCE',
    parse: (t: string) => parseChoice(t, CONFIDENCES),
  },
  'webhook-countries': { type: 'string', env: 'DETOURWATCH_WEBHOOK_COUNTRIES', parse: parseCountryList },
  'webhook-asns': { type: 'string', env: 'DETOURWATCH_WEBHOOK_ASNS', parse: parseAsnList },
  'webhook-witnesses': {
    type: 'string',
    env: 'DETOURWATCH_WEBHOOK_WITNESSES',
    parse: (t: string) => parseIntIn(t, 1, 100),
  },
  // Down to a second: a test replays an outbox within seconds; an operator keeps minutes.
  'late-after': {
    type: 'string',
    env: 'DETOURWATCH_LATE_AFTER',
    parse: (t: string) => parseDurationIn(t, { min: 1000 }),
    default: DEFAULT_LATE_AFTER_MS,
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

export const HISTORY_OPTIONS = {
  'incident-quiet': {
    type: 'string',
    env: 'DETOURWATCH_INCIDENT_QUIET',
    parse: parseIncidentQuiet,
    default: DEFAULT_QUIET_MS,
  },
  ...ALERT_OPTIONS,
  'retain-hops-days': {
    type: 'string',
    env: 'DETOURWATCH_RETAIN_HOPS_DAYS',
    parse: (t: string) => parseIntIn(t, 1, 99_999),
    default: null,
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
  const { values } = reading;
  return {
    quietMs: values['incident-quiet'],
    retainHopsDays: values['retain-hops-days'],
    ...alertConfigFrom(reading, readFile),
  };
}

export type AlertConfig = Pick<
  HistoryConfig,
  'webhooks' | 'corroboration' | 'maxWitnessesPerOwner' | 'lateAfterMs'
>;

/** The alert options alone (`import atlas` reads them with its own); problems join the reading's. */
export function alertConfigFrom(
  reading: OptionReading<typeof ALERT_OPTIONS>,
  readFile: ReadFile = readUtf8,
): AlertConfig {
  const { values, problems, source } = reading;
  const secret = values['webhook-secret'] ?? null;
  const webhooks: WebhookTarget[] = [];
  const rules = flagRules(values);
  if (rules.length > 0 && values.webhook.length === 0) {
    const flag = RULE_FLAGS.map((f) => source(f)).find((s) => s !== null);
    problems.add(
      `${flag} filters the --webhook URLs, and none is given (a --webhook-config file has its own rules)`,
    );
  }
  if (values['webhook-route-changes'] && values.webhook.length === 0)
    problems.add(
      `${source('webhook-route-changes')} adds route changes to the --webhook URLs, and none is given (a --webhook-config file lists "route.changed" in a webhook's events)`,
    );
  const events = values['webhook-route-changes'] ? WEBHOOK_EVENT_KINDS : INCIDENT_EVENT_KINDS;
  for (const url of values.webhook) {
    const target = problems.check(null, () =>
      webhookTarget(url, secret, events, source('webhook') ?? '--webhook', rules),
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
    webhooks,
    corroboration: values.corroboration,
    maxWitnessesPerOwner: values['max-witnesses-per-owner'],
    lateAfterMs: values['late-after'],
  };
}

const RULE_FLAGS = [
  'webhook-min-confidence',
  'webhook-countries',
  'webhook-asns',
  'webhook-witnesses',
] as const;

/** The one rule the --webhook-* flags make (none without them): every given condition must hold. */
function flagRules(values: OptionReading<typeof ALERT_OPTIONS>['values']): AlertRule[] {
  const minConfidence = values['webhook-min-confidence'];
  const countries = values['webhook-countries'];
  const asns = values['webhook-asns'];
  const witnesses = values['webhook-witnesses'];
  if ([minConfidence, countries, asns, witnesses].every((v) => v === undefined)) return [];
  return [
    {
      ...ANY_RULE,
      minConfidence: minConfidence ?? ANY_RULE.minConfidence,
      countries: countries ?? null,
      asns: asns ?? null,
      witnesses: witnesses ?? null,
    },
  ];
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
