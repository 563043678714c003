/**
 * The events the pure fold raises for alerts (issue 14): opened, corroborated, upgraded to confirmed (once,
 * when a published incident of probable traces gets its first confirmed one), closed; and late detours, which
 * used to raise nothing when their incident was over before it was recorded.
 */
import { describe, expect, it } from 'vitest';
import { foldObservations, sweepIncidents } from '../../server/incidents/fold.ts';
import type { Incident, IncidentEvent, TraceObservation } from '../../server/incidents/types.ts';
import type { FoldState } from '../../server/store/incident-store.ts';
import { detourObservation } from '../history/observation.ts';

const HOUR = 3_600_000;
const QUIET = 2 * HOUR;
const T0 = Date.parse('2024-05-01T00:00:00Z');
const AT_ONCE = { corroboration: 1, maxWitnessesPerOwner: 2 };
const TWO = { corroboration: 2, maxWitnessesPerOwner: 2 };

/**
 * Folds batches one after another as a store would: each batch sees the incidents the previous ones left
 * (placeholders given row ids). Returns each batch's event kinds, and the events themselves.
 */
function foldInTurn(
  batches: { at: number; observations: TraceObservation[] }[],
  rules = AT_ONCE,
  state: Partial<FoldState> = {},
): { kinds: string[][]; events: IncidentEvent[] } {
  let incidents: Incident[] = [];
  let next = 1;
  const kinds: string[][] = [];
  const all: IncidentEvent[] = [];
  for (const batch of batches) {
    const out = foldObservations(
      { incidents, baselines: [], linked: [], ...state },
      batch.observations,
      QUIET,
      batch.at,
      rules,
    );
    const ids = new Map<number, number>();
    for (const c of out.writes.created) ids.set(c.id, next++);
    const rowOf = (i: Incident) => ({ ...i, id: ids.get(i.id) ?? i.id });
    const changed = [...out.writes.created, ...out.writes.updated].map(rowOf);
    incidents = [...incidents.filter((i) => !changed.some((c) => c.id === i.id)), ...changed];
    kinds.push(out.events.map((e) => e.kind));
    all.push(...out.events.map((e) => ({ ...e, incident: rowOf(e.incident) })));
  }
  return { kinds, events: all };
}

const probable = (o: Partial<TraceObservation>) => detourObservation({ confidence: 'probable', ...o });
const confirmed = (o: Partial<TraceObservation>) => detourObservation({ confidence: 'confirmed', ...o });

describe('incident.confirmed', () => {
  it('fires once, when a published incident of probable traces gets its first confirmed trace', () => {
    const { kinds, events } = foldInTurn([
      { at: T0, observations: [probable({ traceId: 1, startedAt: T0 })] },
      { at: T0 + 60_000, observations: [probable({ traceId: 2, startedAt: T0 + 60_000 })] },
      { at: T0 + 120_000, observations: [confirmed({ traceId: 3, startedAt: T0 + 120_000 })] },
      { at: T0 + 180_000, observations: [confirmed({ traceId: 4, startedAt: T0 + 180_000 })] },
    ]);
    expect(kinds).toEqual([['incident.opened'], [], ['incident.confirmed'], []]);
    const upgrade = events.find((e) => e.kind === 'incident.confirmed');
    expect(upgrade?.incident).toMatchObject({ confirmedCount: 1, traceCount: 3 });
    expect(upgrade?.late).toBeUndefined();
  });

  it('does not fire for an incident that opened confirmed, nor twice within one batch', () => {
    expect(
      foldInTurn([
        { at: T0, observations: [confirmed({ traceId: 1, startedAt: T0 })] },
        { at: T0 + 60_000, observations: [confirmed({ traceId: 2, startedAt: T0 + 60_000 })] },
      ]).kinds,
    ).toEqual([['incident.opened'], []]);
    expect(
      foldInTurn([
        { at: T0, observations: [probable({ traceId: 1, startedAt: T0 })] },
        {
          at: T0 + 60_000,
          observations: [
            confirmed({ traceId: 2, startedAt: T0 + 30_000 }),
            confirmed({ traceId: 3, startedAt: T0 + 60_000 }),
          ],
        },
      ]).kinds,
    ).toEqual([['incident.opened'], ['incident.confirmed']]);
  });

  it('is not raised while the incident is unpublished: its opening shows it confirmed already', () => {
    const facts = (agentId: string, n: number) => ({
      agentId,
      owner: `owner-${n}`,
      addressPrefix: `198.51.${n}.0/24`,
      asn: 64_000 + n,
      city: null,
      status: 'verified' as const,
    });
    const vantages = [facts('ag_a', 1), facts('ag_b', 2)];
    const { kinds, events } = foldInTurn(
      [
        { at: T0, observations: [probable({ traceId: 1, agentId: 'ag_a', startedAt: T0 })] },
        {
          at: T0 + 60_000,
          observations: [confirmed({ traceId: 2, agentId: 'ag_a', startedAt: T0 + 60_000 })],
        },
        {
          at: T0 + 120_000,
          observations: [probable({ traceId: 3, agentId: 'ag_b', startedAt: T0 + 120_000 })],
        },
      ],
      TWO,
      { vantages },
    );
    expect(kinds).toEqual([[], [], ['incident.opened', 'incident.corroborated']]);
    expect(events[0]?.incident.confirmedCount).toBe(1);
  });
});

describe('late detours', () => {
  it('open and close an incident that was over before it was recorded, marked late (they used to raise nothing)', () => {
    const now = T0 + 30 * 24 * HOUR;
    const out = foldObservations(
      { incidents: [], baselines: [], linked: [] },
      [probable({ traceId: 1, startedAt: T0, late: true })],
      QUIET,
      now,
      AT_ONCE,
    );
    expect(out.writes.created[0]).toMatchObject({ state: 'closed', closedAt: T0 + QUIET });
    expect(out.events.map((e) => [e.kind, e.late])).toEqual([
      ['incident.opened', true],
      ['incident.closed', true],
    ]);
    // The sweep has nothing left to close, so the receiver hears `closed` once.
    expect(sweepIncidents(out.writes.created, QUIET, now + HOUR).events).toEqual([]);
  });

  it('mark the events a late trace raises on an incident still open', () => {
    const out = foldObservations(
      { incidents: [], baselines: [], linked: [] },
      [probable({ traceId: 1, startedAt: T0, late: true })],
      QUIET,
      T0 + 20 * 60_000,
      AT_ONCE,
    );
    expect(out.writes.created[0]?.state).toBe('open');
    expect(out.events.map((e) => [e.kind, e.late])).toEqual([['incident.opened', true]]);
  });

  it('join an open incident like any other detour', () => {
    const { kinds, events } = foldInTurn([
      { at: T0 + HOUR, observations: [probable({ traceId: 1, startedAt: T0 + HOUR })] },
      // Measured before the first, arriving after it: joins, and upgrades it.
      { at: T0 + HOUR + 60_000, observations: [confirmed({ traceId: 2, startedAt: T0, late: true })] },
    ]);
    expect(kinds).toEqual([['incident.opened'], ['incident.confirmed']]);
    expect(events[1]).toMatchObject({ late: true, incident: { firstSeen: T0, traceCount: 2 } });
  });
});
