import { createHash } from 'node:crypto';
import { DetourwatchError, describeError } from '../../protocol/errors.ts';
import {
  INCIDENT_EVENT_KINDS,
  WEBHOOK_EVENT_KINDS,
  type WebhookEventKind,
} from '../../protocol/history-api.ts';
import { parseAsn } from '../../protocol/values/asn.ts';
import { parseChoice } from '../../protocol/values/choice.ts';
import { parseCountryCode } from '../../protocol/values/country.ts';
import { parseIntIn } from '../../protocol/values/number.ts';
import { CONFIDENCES } from '../../protocol/verdict.ts';
import { type AlertRule, ANY_RULE } from './alert-rules.ts';

export interface WebhookTarget {
  url: string;
  /** Shared secret for the signature header; null sends unsigned requests (the startup log says so). */
  secret: string | null;
  /** Default INCIDENT_EVENT_KINDS; `route.changed` only when listed (or `--webhook-route-changes`). */
  events: readonly WebhookEventKind[];
  /** Which of those events it wants (alert-rules.ts): any rule matching sends; none listed sends all. */
  rules: readonly AlertRule[];
  /**
   * How the URL appears in logs, the API and the delivery records: scheme, host and a hash. Webhook URLs
   * often carry a credential in their path (chat services do), which must not be published.
   */
  label: string;
}

const MAX_URL_CHARS = 2048;

export function webhookLabel(url: URL): string {
  const hash = createHash('sha256').update(url.href).digest('hex').slice(0, 8);
  return `${url.protocol}//${url.host}/... #${hash}`;
}

export function webhookTarget(
  text: string,
  secret: string | null,
  events: readonly WebhookEventKind[] = INCIDENT_EVENT_KINDS,
  where = '--webhook',
  rules: readonly AlertRule[] = [],
): WebhookTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new DetourwatchError('CONFIG_INVALID', `${where}: "${text.slice(0, 60)}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new DetourwatchError(
      'CONFIG_INVALID',
      `${where}: a webhook URL must start with http:// or https://`,
    );
  }
  if (text.length > MAX_URL_CHARS) {
    throw new DetourwatchError(
      'CONFIG_INVALID',
      `${where}: the URL is longer than ${MAX_URL_CHARS} characters`,
    );
  }
  if (secret !== null && secret.length === 0) {
    throw new DetourwatchError('CONFIG_INVALID', `${where}: the webhook secret is empty`);
  }
  return { url: url.href, secret, events, rules, label: webhookLabel(url) };
}

const RULE_KEYS = ['minConfidence', 'countries', 'asns', 'witnesses', 'late'];

/**
 * One rule of a configuration file: `{"minConfidence": "confirmed", "countries": ["CN"], "asns": [4134],
 * "witnesses": 3, "late": false}`, every key optional; each value is read by the parser of its kind.
 */
export function parseAlertRule(json: unknown, where: string): AlertRule {
  const bad = (why: string) => new DetourwatchError('CONFIG_INVALID', `${where}: ${why}`);
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw bad(`a rule is an object with some of ${RULE_KEYS.join(', ')}`);
  const r = json as Record<string, unknown>;
  for (const key of Object.keys(r)) {
    if (!RULE_KEYS.includes(key)) throw bad(`unknown key "${key.slice(0, 40)}" (${RULE_KEYS.join(', ')})`);
  }
  const parsed = <T>(key: string, text: string, parse: (text: string) => T): T => {
    try {
      return parse(text);
    } catch (err) {
      throw bad(`${key}: ${err instanceof DetourwatchError ? err.message : describeError(err)}`);
    }
  };
  const read = <T>(key: string, parse: (text: string) => T): T => parsed(key, String(r[key]), parse);
  const list = <T>(key: string, parse: (text: string) => T): T[] | null => {
    const v = r[key];
    if (v === undefined) return null;
    if (
      !Array.isArray(v) ||
      v.length === 0 ||
      !v.every((x) => typeof x === 'string' || typeof x === 'number')
    )
      throw bad(`${key} must be a non-empty list`);
    return [...new Set(v.map((x) => parsed(key, String(x), parse)))];
  };
  if (r.late !== undefined && typeof r.late !== 'boolean') throw bad('late must be true or false');
  return {
    minConfidence:
      r.minConfidence === undefined
        ? ANY_RULE.minConfidence
        : read('minConfidence', (t) => parseChoice(t, CONFIDENCES)),
    countries: list('countries', parseCountryCode),
    asns: list('asns', parseAsn),
    witnesses: r.witnesses === undefined ? null : read('witnesses', (t) => parseIntIn(t, 1, 100)),
    late: r.late === undefined ? ANY_RULE.late : (r.late as boolean),
  };
}

/**
 * A webhook configuration file:
 * `{"webhooks":[{"url":"https://...","secret":"...","events":["incident.opened","incident.closed"],
 * "rules":[{"minConfidence":"confirmed","countries":["CN"]}]}]}`. `secret`, `events` and `rules` are optional
 * (no secret: `defaultSecret`, usually --webhook-secret; no events: all of INCIDENT_EVENT_KINDS; no rules:
 * every event of those kinds). `"route.changed"` in `events` opts in to route changes (rules do not apply).
 */
export function parseWebhookConfig(
  text: string,
  file: string,
  defaultSecret: string | null,
): WebhookTarget[] {
  const bad = (why: string) => new DetourwatchError('CONFIG_INVALID', `${file}: ${why}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw bad(`not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const hooks = (json as { webhooks?: unknown } | null)?.webhooks;
  if (typeof json !== 'object' || json === null || !Array.isArray(hooks)) {
    throw bad('expected {"webhooks": [{"url": "https://...", "secret": "..."}]}');
  }
  return hooks.map((h: unknown, i) => {
    const where = `${file}: webhooks[${i}]`;
    if (typeof h !== 'object' || h === null) throw bad(`webhooks[${i}] must be an object with a "url"`);
    const { url, secret, events, rules } = h as Record<string, unknown>;
    if (typeof url !== 'string') throw bad(`webhooks[${i}].url must be a string`);
    if (secret !== undefined && typeof secret !== 'string')
      throw bad(`webhooks[${i}].secret must be a string`);
    let kinds: readonly WebhookEventKind[] = INCIDENT_EVENT_KINDS;
    if (events !== undefined) {
      if (
        !Array.isArray(events) ||
        events.length === 0 ||
        !events.every((e) => (WEBHOOK_EVENT_KINDS as readonly unknown[]).includes(e))
      ) {
        throw bad(`webhooks[${i}].events must list some of ${WEBHOOK_EVENT_KINDS.join(', ')}`);
      }
      kinds = [...new Set(events as WebhookEventKind[])];
    }
    if (rules !== undefined && !Array.isArray(rules))
      throw bad(`webhooks[${i}].rules must be a list of rules`);
    const parsed = (rules ?? []).map((rule: unknown, j: number) =>
      parseAlertRule(rule, `${file}: webhooks[${i}].rules[${j}]`),
    );
    return webhookTarget(url, (secret as string | undefined) ?? defaultSecret, kinds, where, parsed);
  });
}
