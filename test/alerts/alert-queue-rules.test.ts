/**
 * The alert queue with rules and maintenance windows, against a real receiver on 127.0.0.1 and a real store:
 * what the rules let through is posted (with `late` and the kind's summary), the rest is recorded as not
 * sent with the reason, and the delivery names the rule.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createAlertQueue } from '../../server/alerts/alert-queue.ts';
import { ANY_RULE } from '../../server/alerts/alert-rules.ts';
import { silencedBy, silencingWindow } from '../../server/alerts/maintenance-windows.ts';
import type { AlertPayload } from '../../server/alerts/payload.ts';
import { webhookTarget } from '../../server/alerts/webhook-config.ts';
import type { Incident, IncidentEvent } from '../../server/incidents/types.ts';
import { openTestStore } from '../history/test-store.ts';
import { startReceiver } from './webhook-receiver.ts';

const SECRET = 'maintenance secret';
const T0 = Date.parse('2026-05-01T00:00:00Z');
const page = { limit: 50, after: null, now: T0, fingerprint: '' };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function incident(id: number, over: Partial<Incident> = {}): Incident {
  return {
    id,
    key: `k${id}`,
    subject: 'agent:ag_1',
    agentId: 'ag_1',
    destinationPrefix: '203.0.113.0/24',
    countries: ['CN'],
    asns: [4134],
    firstSeen: T0,
    lastSeen: T0 + 60_000,
    traceCount: 3,
    confirmedCount: 0,
    state: 'open',
    closedAt: null,
    lastClearAt: null,
    firstTraceId: 1,
    lastTraceId: 3,
    witnesses: [],
    witnessCount: 1,
    corroboratedAt: T0,
    ...over,
  };
}

describe('alerts with rules and maintenance windows', () => {
  it('sends what a rule lets through, records the rest with why, and says which rule sent it', async () => {
    const receiver = await startReceiver(SECRET, [200]);
    cleanups.push(receiver.close);
    const { store, cleanup } = openTestStore();
    cleanups.push(cleanup);
    const window = await store.addMaintenanceWindow({
      agentId: null,
      target: '198.51.100.0/24',
      startsAt: T0 - 60_000,
      endsAt: T0 + 3_600_000,
      reason: 'moving the target',
      createdAt: T0,
    });
    const hook = webhookTarget(receiver.url, SECRET, undefined, '--webhook', [
      { ...ANY_RULE, minConfidence: 'confirmed' },
      { ...ANY_RULE, countries: ['RU'] },
    ]);
    const queue = createAlertQueue({
      webhooks: [hook],
      deliveries: store,
      now: () => T0,
      silenced: async (e) => {
        const w = silencingWindow(await store.listMaintenanceWindows(e.incident.firstSeen), e);
        return w === null ? null : silencedBy(w);
      },
    });
    const events: IncidentEvent[] = [
      // Probable via CN: neither rule.
      { kind: 'incident.opened', incident: incident(1), at: T0 },
      // Upgraded: rule 1; raised by a late result.
      { kind: 'incident.confirmed', incident: incident(1, { confirmedCount: 1 }), at: T0, late: true },
      // Via RU: rule 2, but its target is under maintenance.
      {
        kind: 'incident.opened',
        incident: incident(2, { countries: ['RU'], destinationPrefix: '198.51.100.0/24' }),
        at: T0,
      },
    ];
    queue.enqueue(events);
    await queue.idle();

    expect(receiver.received).toHaveLength(1);
    const body = JSON.parse(receiver.received[0]?.body ?? '{}') as AlertPayload;
    expect(receiver.received[0]?.signatureValid).toBe(true);
    expect(body).toMatchObject({
      event: 'incident.confirmed',
      late: true,
      incident: { id: 1, confirmedCount: 1 },
    });
    expect(body.summary).toContain('detour incident confirmed [late] #1');
    expect(body.summary).toContain('1 of 3 traces confirmed by RTTs');

    const records = (await store.deliveryPage(page)).items.sort((a, b) => a.id - b.id);
    expect(records.map((d) => [d.event, d.incidentId, d.status, d.rule, d.lastError])).toEqual([
      [
        'incident.opened',
        1,
        'dropped',
        null,
        'no rule matched: rule 1 (confirmed): only probable traces; rule 2 (via RU): via CN',
      ],
      ['incident.confirmed', 1, 'delivered', 'rule 1 (confirmed)', null],
      [
        'incident.opened',
        2,
        'dropped',
        null,
        `silenced by maintenance window #${window.id} (moving the target)`,
      ],
    ]);
    expect(queue.stats()).toMatchObject({ delivered: 1, withheld: 2, failed: 0 });
    await queue.close();
  });

  it('sends when the maintenance windows cannot be read, rather than lose the alert', async () => {
    const receiver = await startReceiver(SECRET, [200]);
    cleanups.push(receiver.close);
    const { store, cleanup } = openTestStore();
    cleanups.push(cleanup);
    const lines: string[] = [];
    const queue = createAlertQueue({
      webhooks: [webhookTarget(receiver.url, SECRET)],
      deliveries: store,
      log: (l) => lines.push(l),
      silenced: async () => {
        throw new Error('the store is gone');
      },
    });
    queue.enqueue([{ kind: 'incident.opened', incident: incident(5), at: T0 }]);
    await queue.idle();
    expect(receiver.received).toHaveLength(1);
    expect(lines.join('\n')).toContain('cannot read the maintenance windows, sending: the store is gone');
    await queue.close();
  });
});
