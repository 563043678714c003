/**
 * Witnesses and corroboration in the pure fold: one cause seen by several agents is one incident with
 * several witnesses; it is published (`incident.opened`, then `incident.corroborated`) only once enough
 * independent verified witnesses saw it, and a contradicted vantage never joins one.
 */
import { describe, expect, it } from 'vitest';
import { foldObservations, sweepIncidents } from '../../server/incidents/fold.ts';
import type { VantageFacts, Witness } from '../../server/incidents/types.ts';
import { corroborates, countedWitnesses, independent } from '../../server/incidents/witnesses.ts';
import { detourObservation } from './observation.ts';

const HOUR = 3_600_000;
const QUIET = 2 * HOUR;
const T0 = Date.parse('2024-05-01T00:00:00Z');
const RULES = { corroboration: 2, maxWitnessesPerOwner: 2 };

function facts(agentId: string, over: Partial<VantageFacts> = {}): VantageFacts {
  const n = agentId.length + agentId.charCodeAt(agentId.length - 1);
  return {
    agentId,
    owner: `owner-${agentId}`,
    addressPrefix: `198.51.${n}.0/24`,
    asn: 64_000 + n,
    city: 'Seattle',
    status: 'verified',
    ...over,
  };
}

function witness(subject: string, over: Partial<Witness> = {}): Witness {
  return {
    subject,
    agentId: subject,
    owner: `o-${subject}`,
    addressPrefix: `p-${subject}`,
    asn: null,
    city: null,
    status: 'verified',
    firstSeen: T0,
    lastSeen: T0,
    traces: 1,
    ...over,
  };
}

describe('independence', () => {
  it.each([
    ['another owner, block and ASN', { owner: 'b', addressPrefix: 'y', asn: 2 }, true],
    ['the same owner', { owner: 'a', addressPrefix: 'y', asn: 2 }, false],
    ['the same /24', { owner: 'b', addressPrefix: 'x', asn: 2 }, false],
    ['the same origin ASN', { owner: 'b', addressPrefix: 'y', asn: 1 }, false],
    ['an unknown ASN (owner and block still differ)', { owner: 'b', addressPrefix: 'y', asn: null }, true],
    ['an unknown owner', { owner: null, addressPrefix: 'y', asn: 2 }, false],
    ['an unknown block', { owner: 'b', addressPrefix: null, asn: 2 }, false],
  ] as const)('%s -> %s', (_name, other, expected) => {
    const a = witness('a', { owner: 'a', addressPrefix: 'x', asn: 1 });
    expect(independent(a, witness('b', other))).toBe(expected);
  });

  it('counts at most K of one owner per ASN and city, the first to have seen it', () => {
    const list = [1, 2, 3].map((i) =>
      witness(`w${i}`, { owner: 'one', asn: 7, city: 'LA', firstSeen: T0 + i, lastSeen: T0 + i }),
    );
    expect(countedWitnesses(list, 2).map((w) => w.subject)).toEqual(['w1', 'w2']);
    expect(countedWitnesses([...list, witness('w4', { owner: 'one', asn: 8, city: 'LA' })], 2)).toHaveLength(
      3,
    );
  });

  it('needs N pairwise independent verified witnesses', () => {
    const a = witness('a');
    const b = witness('b');
    const sameOwnerAsA = witness('c', { owner: 'o-a' });
    expect(corroborates([a], RULES)).toBe(false);
    expect(corroborates([a, sameOwnerAsA], RULES)).toBe(false);
    expect(corroborates([a, witness('u', { status: 'unverified' })], RULES)).toBe(false);
    expect(corroborates([a, b], RULES)).toBe(true);
    // Three needed: c conflicts with a, so {a, b, c} fails, but {b, c, d} holds.
    const d = witness('d');
    expect(corroborates([a, b, sameOwnerAsA], { ...RULES, corroboration: 3 })).toBe(false);
    expect(corroborates([a, b, sameOwnerAsA, d], { ...RULES, corroboration: 3 })).toBe(true);
    expect(corroborates([witness('x', { status: 'unverified' })], { ...RULES, corroboration: 1 })).toBe(true);
  });
});

describe('the fold with witnesses', () => {
  const seattle = facts('ag_seattle');
  const denver = facts('ag_denver');

  it('keeps one agent`s detours a single-witness incident and raises nothing', () => {
    const { writes, events } = foldObservations(
      { incidents: [], baselines: [], linked: [], vantages: [seattle] },
      [detourObservation({ traceId: 1 }), detourObservation({ traceId: 2, startedAt: T0 + 60_000 })],
      QUIET,
      T0 + 120_000,
      RULES,
    );
    expect(writes.created).toHaveLength(1);
    expect(writes.created[0]).toMatchObject({ witnessCount: 1, corroboratedAt: null, traceCount: 2 });
    expect(writes.created[0]?.witnesses).toEqual([
      expect.objectContaining({
        subject: 'agent:ag_seattle',
        owner: seattle.owner,
        traces: 2,
        status: 'verified',
      }),
    ]);
    expect(events).toEqual([]);
  });

  it('publishes when an independent verified agent sees the same cause: opened, then corroborated', () => {
    const first = foldObservations(
      { incidents: [], baselines: [], linked: [], vantages: [seattle] },
      [detourObservation({ traceId: 1 })],
      QUIET,
      T0,
      RULES,
    );
    const incident = { ...(first.writes.created[0] ?? ({} as never)), id: 9 };
    const second = foldObservations(
      { incidents: [incident], baselines: [], linked: [], vantages: [denver] },
      [detourObservation({ traceId: 2, agentId: 'ag_denver', startedAt: T0 + 60_000 })],
      QUIET,
      T0 + 60_000,
      RULES,
    );
    expect(second.writes.created).toEqual([]);
    expect(second.writes.updated[0]).toMatchObject({ id: 9, witnessCount: 2, corroboratedAt: T0 + 60_000 });
    expect(second.events.map((e) => [e.kind, e.incident.id])).toEqual([
      ['incident.opened', 9],
      ['incident.corroborated', 9],
    ]);
    // Once published it closes with an alert; an unpublished one closes silently.
    const published = second.writes.updated[0] as NonNullable<(typeof second.writes.updated)[0]>;
    expect(sweepIncidents([published], QUIET, T0 + 3 * HOUR).events.map((e) => e.kind)).toEqual([
      'incident.closed',
    ]);
    expect(sweepIncidents([incident], QUIET, T0 + 3 * HOUR).events).toEqual([]);
  });

  it('does not count an unverified agent, nor a second agent of the same owner', () => {
    for (const other of [
      facts('ag_denver', { status: 'unverified' }),
      facts('ag_denver', { owner: seattle.owner }),
      facts('ag_denver', { addressPrefix: seattle.addressPrefix }),
    ]) {
      const { writes, events } = foldObservations(
        { incidents: [], baselines: [], linked: [], vantages: [seattle, other] },
        [detourObservation({ traceId: 1 }), detourObservation({ traceId: 2, agentId: 'ag_denver' })],
        QUIET,
        T0,
        RULES,
      );
      expect(writes.created[0]?.witnesses).toHaveLength(2);
      expect(writes.created[0]?.corroboratedAt).toBeNull();
      expect(events).toEqual([]);
    }
  });

  it('never lets a contradicted vantage join or open an incident', () => {
    const { writes } = foldObservations(
      {
        incidents: [],
        baselines: [],
        linked: [],
        vantages: [facts('ag_seattle', { status: 'contradicted' })],
      },
      [detourObservation({ traceId: 1 })],
      QUIET,
      T0,
      { ...RULES, corroboration: 1 },
    );
    expect(writes.created).toEqual([]);
    expect(writes.links).toEqual([]);
    // The trace is still folded (the watermark moves on): it is kept, just not believed.
    expect(writes.watermark).toBe(1);
  });

  it('hands the vantage checks the first hop and the mesh RTT of an agent`s trace', () => {
    const { writes } = foldObservations(
      { incidents: [], baselines: [], linked: [], peers: [{ agentId: 'ag_la', address: '203.0.113.10' }] },
      [
        detourObservation({
          traceId: 1,
          firstHop: { ip: '192.0.2.1', lat: 47.6, lon: -122.3, rttMs: 0.7, asn: 64500, city: 'Seattle' },
          destinationRttMs: 31.5,
        }),
      ],
      QUIET,
      T0 + 5,
      RULES,
    );
    expect(writes.samples).toEqual([
      expect.objectContaining({ agentId: 'ag_seattle', kind: 'first-hop', subject: '192.0.2.1', rttMs: 0.7 }),
      expect.objectContaining({
        agentId: 'ag_seattle',
        kind: 'mesh',
        subject: 'ag_la',
        rttMs: 31.5,
        at: T0 + 5,
      }),
    ]);
  });
});
