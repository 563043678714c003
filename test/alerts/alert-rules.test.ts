/**
 * The pure decisions of which alerts go out (issue 14): webhook rules by confidence, country, ASN, witnesses
 * and lateness, their configuration, and maintenance windows per agent or target.
 */
import { describe, expect, it } from 'vitest';
import { type AlertRule, ANY_RULE, describeRule, matchRules } from '../../server/alerts/alert-rules.ts';
import {
  networksOverlap,
  silencedBy,
  silencingWindow,
  windowFromRequest,
} from '../../server/alerts/maintenance-windows.ts';
import { parseWebhookConfig } from '../../server/alerts/webhook-config.ts';
import type { Incident, IncidentEvent, Witness } from '../../server/incidents/types.ts';
import { parseCidr } from '../../server/net/client-address.ts';
import type { MaintenanceWindow } from '../../server/store/maintenance-store.ts';

const T0 = Date.parse('2026-05-01T00:00:00Z');
const MIN = 60_000;

function witness(n: number, over: Partial<Witness> = {}): Witness {
  return {
    subject: `agent:ag_${n}`,
    agentId: `ag_${n}`,
    owner: `owner-${n}`,
    addressPrefix: `198.51.${n}.0/24`,
    asn: 64_500 + n,
    city: null,
    status: 'verified',
    firstSeen: T0,
    lastSeen: T0 + 10 * MIN,
    traces: 2,
    ...over,
  };
}

function event(
  over: Partial<Incident> = {},
  kind: IncidentEvent['kind'] = 'incident.opened',
  late?: boolean,
) {
  const incident: Incident = {
    id: 9,
    key: 'k',
    subject: 'agent:ag_1',
    agentId: 'ag_1',
    destinationPrefix: '203.0.113.0/24',
    countries: ['CN'],
    asns: [4134],
    firstSeen: T0,
    lastSeen: T0 + 10 * MIN,
    traceCount: 4,
    confirmedCount: 0,
    state: 'open',
    closedAt: null,
    lastClearAt: null,
    firstTraceId: 1,
    lastTraceId: 4,
    witnesses: [witness(1), witness(2)],
    witnessCount: 2,
    corroboratedAt: T0,
    ...over,
  };
  const e: IncidentEvent = { kind, incident, at: T0 + 10 * MIN };
  return late === undefined ? e : { ...e, late };
}

const rule = (over: Partial<AlertRule>): AlertRule => ({ ...ANY_RULE, ...over });

describe('webhook rules', () => {
  it.each([
    ['no rules: everything', [], event(), true],
    ['confirmed: probable-only incident refused', [rule({ minConfidence: 'confirmed' })], event(), false],
    [
      'confirmed: one confirmed trace is enough',
      [rule({ minConfidence: 'confirmed' })],
      event({ confirmedCount: 1 }),
      true,
    ],
    [
      'probable takes confirmed too',
      [rule({ minConfidence: 'probable' })],
      event({ confirmedCount: 4 }),
      true,
    ],
    ['country in the list', [rule({ countries: ['RU', 'CN'] })], event(), true],
    ['country not in the list', [rule({ countries: ['RU'] })], event(), false],
    ['any of several countries', [rule({ countries: ['HK'] })], event({ countries: ['CN', 'HK'] }), true],
    ['ASN in the list', [rule({ asns: [4134] })], event(), true],
    ['ASN not in the list', [rule({ asns: [4809] })], event(), false],
    ['all conditions of a rule must hold', [rule({ countries: ['CN'], asns: [4809] })], event(), false],
    ['any rule may match', [rule({ countries: ['RU'] }), rule({ asns: [4134] })], event(), true],
    ['two independent witnesses meet 2', [rule({ witnesses: 2 })], event(), true],
    ['two witnesses do not meet 3', [rule({ witnesses: 3 })], event(), false],
    [
      'witnesses of one owner are not independent',
      [rule({ witnesses: 2 })],
      event({ witnesses: [witness(1), witness(2, { owner: 'owner-1' })] }),
      false,
    ],
    [
      'unverified witnesses do not count',
      [rule({ witnesses: 2 })],
      event({ witnesses: [witness(1), witness(2, { status: 'unverified' })] }),
      false,
    ],
    ['late events pass by default', [rule({})], event({}, 'incident.opened', true), true],
    ['late: false refuses them', [rule({ late: false })], event({}, 'incident.opened', true), false],
    ['late: false takes on-time events', [rule({ late: false })], event(), true],
  ] as const)('%s', (_name, rules, e, sent) => {
    const decision = matchRules(rules as readonly AlertRule[], e, 2);
    expect(decision.send).toBe(sent);
  });

  it('names the rule that let an event through, and every reason when none did', () => {
    const rules = [rule({ countries: ['RU'] }), rule({ minConfidence: 'confirmed', asns: [4134] })];
    expect(matchRules(rules, event({ confirmedCount: 1 }), 2)).toEqual({
      send: true,
      rule: 'rule 2 (confirmed, via AS4134)',
    });
    expect(matchRules(rules, event(), 2)).toEqual({
      send: false,
      why: 'no rule matched: rule 1 (via RU): via CN; rule 2 (confirmed, via AS4134): only probable traces',
    });
    expect(matchRules([], event(), 2)).toEqual({ send: true, rule: null });
    expect(describeRule(ANY_RULE, 0)).toBe('rule 1 (any incident)');
  });
});

describe('the webhook configuration file', () => {
  it('reads rules per webhook with the value parsers of their kinds', () => {
    const [hook] = parseWebhookConfig(
      JSON.stringify({
        webhooks: [
          {
            url: 'https://hooks.example/x',
            rules: [
              { minConfidence: 'confirmed', countries: ['cn', 'RU'], asns: ['AS4134', 4809], witnesses: 3 },
              { late: false },
            ],
          },
        ],
      }),
      'hooks.json',
      null,
    );
    expect(hook?.rules).toEqual([
      { minConfidence: 'confirmed', countries: ['CN', 'RU'], asns: [4134, 4809], witnesses: 3, late: true },
      { ...ANY_RULE, late: false },
    ]);
  });

  it.each([
    [{ rules: {} }, 'webhooks[0].rules must be a list'],
    [
      { rules: [{ minConfidence: 'maybe' }] },
      'rules[0]: minConfidence: "maybe" is not one of confirmed, probable',
    ],
    [{ rules: [{ countries: ['China'] }] }, 'rules[0]: countries: "China" is not a country code'],
    [{ rules: [{ asns: [0] }] }, 'rules[0]: asns: "0" is not an AS number'],
    [{ rules: [{ witnesses: 0 }] }, 'rules[0]: witnesses:'],
    [{ rules: [{ countries: [] }] }, 'countries must be a non-empty list'],
    [{ rules: [{ late: 'no' }] }, 'late must be true or false'],
    [{ rules: [{ country: ['CN'] }] }, 'unknown key "country"'],
  ])('refuses %j', (extra, message) => {
    const text = JSON.stringify({ webhooks: [{ url: 'https://hooks.example/x', ...extra }] });
    expect(() => parseWebhookConfig(text, 'hooks.json', null)).toThrow(message);
  });
});

const window = (over: Partial<MaintenanceWindow>): MaintenanceWindow => ({
  id: 3,
  agentId: null,
  target: null,
  startsAt: T0 - 30 * MIN,
  endsAt: T0 + 30 * MIN,
  reason: 'router upgrade',
  createdAt: T0 - HOUR_MS,
  ...over,
});
const HOUR_MS = 60 * MIN;

describe('maintenance windows', () => {
  it.each([
    ['a witness agent measured inside it', window({ agentId: 'ag_2' }), event(), true],
    ['an agent that did not witness it', window({ agentId: 'ag_7' }), event(), false],
    [
      'the agent, but its traces were before the window',
      window({ agentId: 'ag_2', startsAt: T0 + HOUR_MS, endsAt: T0 + 2 * HOUR_MS }),
      event(),
      false,
    ],
    ['the target prefix contains the destination', window({ target: '203.0.0.0/16' }), event(), true],
    ['a host inside the destination /24', window({ target: '203.0.113.10/32' }), event(), true],
    ['another network', window({ target: '198.51.100.0/24' }), event(), false],
    [
      'the target, but ended before the detours',
      window({ target: '203.0.113.0/24', endsAt: T0 }),
      event(),
      false,
    ],
    ['an IPv6 window never covers an IPv4 incident', window({ target: '2001:db8::/32' }), event(), false],
  ] as const)('%s', (_name, w, e, silenced) => {
    expect(silencingWindow([w], e)?.id ?? null).toBe(silenced ? w.id : null);
  });

  it('says which window silenced it, the lowest id when several do', () => {
    const a = window({ id: 8, agentId: 'ag_1', reason: 'moving the rack' });
    const b = window({ id: 5, target: '203.0.113.0/24', reason: 'target renumbering' });
    const w = silencingWindow([a, b], event());
    expect(w?.id).toBe(5);
    expect(silencedBy(w as MaintenanceWindow)).toBe('silenced by maintenance window #5 (target renumbering)');
  });

  it('networks overlap when one contains the other', () => {
    const net = (t: string) => parseCidr(t);
    expect(networksOverlap(net('10.0.0.0/8'), net('10.1.2.0/24'))).toBe(true);
    expect(networksOverlap(net('10.1.2.0/24'), net('10.0.0.0/8'))).toBe(true);
    expect(networksOverlap(net('10.1.2.0/24'), net('10.1.3.0/24'))).toBe(false);
    expect(networksOverlap(net('2001:db8::/48'), net('2001:db8:0:1::/64'))).toBe(true);
  });

  const agents = [
    { id: 'ag_1', name: 'seattle-1' },
    { id: 'ag_2', name: 'twin' },
    { id: 'ag_3', name: 'twin' },
  ];

  it('reads a request: an agent by id or name, a target, from/until or for', () => {
    expect(windowFromRequest({ agent: 'seattle-1', for: '2h', reason: ' upgrade ' }, agents, T0)).toEqual({
      agentId: 'ag_1',
      target: null,
      startsAt: T0,
      endsAt: T0 + 2 * HOUR_MS,
      reason: 'upgrade',
      createdAt: T0,
    });
    expect(
      windowFromRequest(
        { target: '203.0.113.9', from: '2026-05-01T01:00:00Z', until: '2026-05-01T03:00:00Z', reason: 'r' },
        agents,
        T0,
      ),
    ).toMatchObject({ target: '203.0.113.9/32', startsAt: T0 + HOUR_MS, endsAt: T0 + 3 * HOUR_MS });
  });

  it.each([
    [{ for: '1h', reason: 'r' }, 'agent', 'give an agent'],
    [{ agent: 'ag_1', target: '203.0.113.9', for: '1h', reason: 'r' }, 'agent', 'one of them'],
    [{ agent: 'twin', for: '1h', reason: 'r' }, 'agent', '2 agents are named "twin"'],
    [{ agent: 'nobody', for: '1h', reason: 'r' }, 'agent', 'no agent with the id or name'],
    [{ target: '203.0.113.0/33', for: '1h', reason: 'r' }, 'target', 'prefix length'],
    [{ agent: 'ag_1', reason: 'r' }, 'until', 'give an end'],
    [{ agent: 'ag_1', until: '2026-04-30', reason: 'r' }, 'until', 'must end after it starts'],
    [{ agent: 'ag_1', for: '91d', reason: 'r' }, 'for', ''],
    [{ agent: 'ag_1', from: '2026-04-01', until: '2026-04-02', reason: 'r' }, 'until', 'ended already'],
    [{ agent: 'ag_1', for: '1h', reason: '' }, 'reason', 'printable'],
    [{ agent: 'ag_1', for: '1h', reason: 'a\nb' }, 'reason', 'printable'],
  ])('refuses %j, naming %s', (request, parameter, message) => {
    let caught: unknown;
    try {
      windowFromRequest(request, agents, T0);
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ code: 'BAD_PARAMETER', parameter });
    expect(String((caught as Error).message)).toContain(message);
  });
});
