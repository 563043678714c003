import { createHash } from 'node:crypto';
import { DetourwatchError } from '../../protocol/errors.ts';
import { INCIDENT_EVENT_KINDS, type IncidentEventKind } from '../../protocol/history-api.ts';

export interface WebhookTarget {
  url: string;
  /** Shared secret for the signature header; null sends unsigned requests (the startup log says so). */
  secret: string | null;
  events: readonly IncidentEventKind[];
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
  events: readonly IncidentEventKind[] = INCIDENT_EVENT_KINDS,
  where = '--webhook',
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
  return { url: url.href, secret, events, label: webhookLabel(url) };
}

/**
 * A webhook configuration file:
 * `{"webhooks":[{"url":"https://...","secret":"...","events":["incident.opened","incident.closed"]}]}`.
 * `secret` and `events` are optional (no secret: `defaultSecret`, usually --webhook-secret; no events: all of INCIDENT_EVENT_KINDS).
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
    const { url, secret, events } = h as Record<string, unknown>;
    if (typeof url !== 'string') throw bad(`webhooks[${i}].url must be a string`);
    if (secret !== undefined && typeof secret !== 'string')
      throw bad(`webhooks[${i}].secret must be a string`);
    let kinds: readonly IncidentEventKind[] = INCIDENT_EVENT_KINDS;
    if (events !== undefined) {
      if (
        !Array.isArray(events) ||
        events.length === 0 ||
        !events.every((e) => (INCIDENT_EVENT_KINDS as readonly unknown[]).includes(e))
      ) {
        throw bad(`webhooks[${i}].events must list some of ${INCIDENT_EVENT_KINDS.join(', ')}`);
      }
      kinds = events as IncidentEventKind[];
    }
    return webhookTarget(url, (secret as string | undefined) ?? defaultSecret, kinds, where);
  });
}
