import { afterEach, describe, expect, it } from 'vitest';
import { createAlertQueue } from '../../server/alerts/alert-queue.ts';
import { retryableStatus, retryDelayMs } from '../../server/alerts/backoff.ts';
import type { AlertPayload } from '../../server/alerts/payload.ts';
import { signBody, verifySignature } from '../../server/alerts/signature.ts';
import { parseWebhookConfig, webhookTarget } from '../../server/alerts/webhook-config.ts';
import type { Incident, IncidentEvent } from '../../server/incidents/types.ts';
import { openTestStore } from '../history/test-store.ts';
import { startReceiver } from './webhook-receiver.ts';

const SECRET = 'correct horse battery staple';
const T0 = Date.parse('2024-05-01T00:00:00Z');

function event(kind: IncidentEvent['kind'], id: number): IncidentEvent {
  const incident: Incident = {
    id,
    key: 'k',
    subject: 'agent:ag_1',
    agentId: 'ag_1',
    destinationPrefix: '203.0.113.0/24',
    countries: ['CN'],
    asns: [4134],
    firstSeen: T0,
    lastSeen: T0 + 60_000,
    traceCount: 2,
    confirmedCount: 1,
    state: kind === 'incident.opened' ? 'open' : 'closed',
    closedAt: kind === 'incident.opened' ? null : T0 + 3_600_000,
    lastClearAt: null,
    firstTraceId: 1,
    lastTraceId: 2,
    witnesses: [],
    witnessCount: 2,
    corroboratedAt: T0,
  };
  return { kind, incident, at: T0 };
}

const fast = { maxAttempts: 4, baseDelayMs: 20, maxDelayMs: 100 };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('webhook signatures', () => {
  it('are an HMAC-SHA256 of the exact body, checked in constant time', () => {
    const sig = signBody(SECRET, '{"a":1}');
    expect(sig).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifySignature(SECRET, '{"a":1}', sig)).toBe(true);
    expect(verifySignature(SECRET, '{"a":2}', sig)).toBe(false);
    expect(verifySignature('other secret', '{"a":1}', sig)).toBe(false);
    expect(verifySignature(SECRET, '{"a":1}', undefined)).toBe(false);
  });
});

describe('retries', () => {
  it('back off exponentially with jitter, capped, and stop after the last attempt', () => {
    const policy = { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 5000 };
    expect(retryDelayMs(1, policy, () => 0)).toBe(500);
    expect(retryDelayMs(1, policy, () => 1)).toBe(1000);
    expect(retryDelayMs(3, policy, () => 1)).toBe(4000);
    expect(retryDelayMs(4, policy, () => 1)).toBe(5000);
    expect(retryDelayMs(5, policy, () => 1)).toBeNull();
  });

  it('retry server errors, timeouts and rate limits, not other refusals', () => {
    expect([500, 502, 503, 408, 429].every(retryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 410].some(retryableStatus)).toBe(false);
  });
});

describe('webhook configuration', () => {
  it('reads a file, takes --webhook-secret as the default, and never shows the URL path', () => {
    const hooks = parseWebhookConfig(
      JSON.stringify({
        webhooks: [
          { url: 'https://hooks.example.com/T000/B000/XXXX', events: ['incident.opened'] },
          { url: 'http://127.0.0.1:9/x', secret: 'own' },
        ],
      }),
      'hooks.json',
      'default-secret',
    );
    expect(hooks.map((h) => h.secret)).toEqual(['default-secret', 'own']);
    expect(hooks[0]?.events).toEqual(['incident.opened']);
    expect(hooks[0]?.label).toMatch(/^https:\/\/hooks\.example\.com\/\.\.\. #[0-9a-f]{8}$/);
    expect(hooks[0]?.label).not.toContain('XXXX');
  });

  it('names what is wrong', () => {
    expect(() => parseWebhookConfig('{', 'h.json', null)).toThrow(/h.json: not JSON/);
    expect(() => parseWebhookConfig('{"webhooks":[{"url":"ftp://x"}]}', 'h.json', null)).toThrow(
      /http:\/\/ or https:\/\//,
    );
    expect(() =>
      parseWebhookConfig('{"webhooks":[{"url":"http://x","events":["x"]}]}', 'h.json', null),
    ).toThrow(/webhooks\[0\]\.events/);
    expect(() => webhookTarget('not a url', null)).toThrow(/--webhook: "not a url" is not a URL/);
  });
});

describe('webhook delivery', () => {
  it('retries a receiver on 127.0.0.1 that fails twice, then delivers, signed, and records it', async () => {
    const receiver = await startReceiver(SECRET, [503, 500, 204]);
    cleanups.push(receiver.close);
    const { store, cleanup } = openTestStore();
    cleanups.push(cleanup);
    const queue = createAlertQueue({
      webhooks: [webhookTarget(receiver.url, SECRET)],
      deliveries: store,
      retry: fast,
    });
    cleanups.push(() => queue.close());

    queue.enqueue([event('incident.opened', 41)]);
    await queue.idle();

    expect(receiver.received.map((r) => r.status)).toEqual([503, 500, 204]);
    expect(receiver.received.every((r) => r.signatureValid)).toBe(true);
    const bodies = receiver.received.map((r) => JSON.parse(r.body) as AlertPayload);
    // Every retry is the same delivery (a receiver can drop repeats), with the timestamp of its own attempt.
    expect(new Set(bodies.map((b) => b.deliveryId)).size).toBe(1);
    for (const r of receiver.received) {
      expect(r.headers['x-detourwatch-timestamp']).toBe(
        String((JSON.parse(r.body) as AlertPayload).timestamp),
      );
      expect(r.headers['x-detourwatch-event']).toBe('incident.opened');
    }
    expect(bodies[0]?.incident).toMatchObject({ id: 41, state: 'open', countries: ['CN'], asns: [4134] });
    expect(bodies[0]?.summary).toContain('AS4134');

    const [delivery] = (await store.deliveryPage({ limit: 10, after: null, now: T0, fingerprint: '' })).items;
    expect(delivery).toMatchObject({
      status: 'delivered',
      attempts: 3,
      httpStatus: 204,
      lastError: null,
      incidentId: 41,
    });
    // The stored URL keeps the host, not the credential in the path.
    expect(delivery?.url).toContain('127.0.0.1');
    expect(delivery?.url).not.toContain('s3cr3t');
    expect(queue.stats()).toMatchObject({ delivered: 1, failed: 0, queued: 0 });
  });

  it('gives up after the last attempt or at once on a refusal, recording the last error', async () => {
    const down = await startReceiver(SECRET, [500]);
    const refusing = await startReceiver(SECRET, [404]);
    cleanups.push(down.close, refusing.close);
    const { store, cleanup } = openTestStore();
    cleanups.push(cleanup);
    const queue = createAlertQueue({
      webhooks: [webhookTarget(down.url, SECRET), webhookTarget(refusing.url, SECRET)],
      deliveries: store,
      retry: fast,
    });
    queue.enqueue([event('incident.closed', 5)]);
    await queue.idle();
    expect(down.received).toHaveLength(fast.maxAttempts);
    expect(refusing.received).toHaveLength(1);
    const { items } = await store.deliveryPage({ limit: 10, after: null, now: T0, fingerprint: '' });
    expect(items.map((d) => [d.status, d.attempts, d.httpStatus, d.lastError])).toEqual([
      ['failed', 1, 404, 'HTTP 404'],
      ['failed', fast.maxAttempts, 500, 'HTTP 500'],
    ]);
  });

  it('keeps opened before closed for one receiver, never blocks the caller, and drops beyond its bound', async () => {
    const receiver = await startReceiver(SECRET, [200]);
    cleanups.push(receiver.close);
    const { store, cleanup } = openTestStore();
    cleanups.push(cleanup);
    const queue = createAlertQueue({
      webhooks: [webhookTarget(receiver.url, SECRET)],
      deliveries: store,
      retry: fast,
      maxQueued: 3,
    });
    queue.enqueue([
      event('incident.opened', 1),
      event('incident.closed', 1),
      ...[2, 3, 4, 5].map((i) => event('incident.opened', i)),
    ]);
    // enqueue returned before any request reached the receiver: the caller (ingest) never waits for delivery.
    expect(receiver.received).toHaveLength(0);
    expect(queue.stats().queued).toBeGreaterThan(0);
    await queue.idle();
    const got = receiver.received.map((r) => JSON.parse(r.body) as AlertPayload);
    expect(got[0]?.event).toBe('incident.opened');
    expect(got[1]?.event).toBe('incident.closed');
    const stats = queue.stats();
    expect(stats.delivered + stats.dropped).toBe(6);
    expect(stats.dropped).toBeGreaterThan(0);
    const dropped = (
      await store.deliveryPage({ limit: 10, after: null, now: T0, fingerprint: '' })
    ).items.filter((d) => d.status === 'dropped');
    expect(dropped).toHaveLength(stats.dropped);
    expect(dropped[0]?.lastError).toMatch(/waiting/);
  });

  it('sends no signature header without a secret', async () => {
    const receiver = await startReceiver(SECRET, [200]);
    cleanups.push(receiver.close);
    const { store, cleanup } = openTestStore();
    cleanups.push(cleanup);
    const queue = createAlertQueue({
      webhooks: [webhookTarget(receiver.url, null)],
      deliveries: store,
    });
    queue.enqueue([event('incident.opened', 9)]);
    await queue.idle();
    expect(receiver.received[0]?.headers['x-detourwatch-signature']).toBeUndefined();
  });
});
