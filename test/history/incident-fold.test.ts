/**
 * The pure incident fold on its own: what it asks the store to load, and the writes it answers for a state
 * (no store involved; the tracker test runs it inside the store's transactions).
 */
import { describe, expect, it } from 'vitest';
import { foldNeeds, foldObservations, sweepIncidents } from '../../server/incidents/fold.ts';
import { incidentKey } from '../../server/incidents/incident-key.ts';
import { detourObservation, domesticObservation } from './observation.ts';

const HOUR = 3_600_000;
const QUIET = 2 * HOUR;
const T0 = Date.parse('2024-05-01T00:00:00Z');
const empty = { incidents: [], baselines: [], linked: [] };
// These cases are about grouping, joining and closing, not about witnesses (incident-witnesses.test.ts): with
// corroboration off every incident is published at once, as before witnesses existed.
const AT_ONCE = { corroboration: 1, maxWitnessesPerOwner: 2 };

describe('the incident fold', () => {
  it('asks for the candidates of each key, widened by the quiet period around the batch', () => {
    const a = detourObservation({ traceId: 1, startedAt: T0 });
    const b = detourObservation({ traceId: 2, startedAt: T0 + HOUR });
    const clear = domesticObservation({ traceId: 3, startedAt: T0 + 2 * HOUR });
    const needs = foldNeeds([a, b, clear], QUIET);
    expect(needs.keys).toEqual([{ key: incidentKey(a)?.key, from: T0 - QUIET, to: T0 + HOUR + QUIET }]);
    expect(needs.pairs).toEqual([
      {
        subject: 'agent:ag_seattle',
        prefix: '203.0.113.0/24',
        from: T0 + 2 * HOUR - QUIET,
        to: T0 + 2 * HOUR,
      },
    ]);
    expect(needs.baselines).toEqual([{ subject: 'agent:ag_seattle', target: '203.0.113.10' }]);
    expect(needs.traceIds).toEqual([1, 2]);
  });

  it('creates one incident for two detours of a batch, with placeholder ids the store replaces', () => {
    const { writes, events } = foldObservations(
      empty,
      [
        detourObservation({ traceId: 7, startedAt: T0 }),
        detourObservation({ traceId: 8, startedAt: T0 + 60_000 }),
      ],
      QUIET,
      T0 + 120_000,
      AT_ONCE,
    );
    expect(writes.created).toHaveLength(1);
    const placeholder = writes.created[0]?.id ?? 0;
    expect(placeholder).toBeLessThan(0);
    expect(writes.created[0]).toMatchObject({
      traceCount: 2,
      state: 'open',
      firstTraceId: 7,
      lastTraceId: 8,
    });
    expect(writes.links).toEqual([
      { incidentId: placeholder, traceId: 7 },
      { incidentId: placeholder, traceId: 8 },
    ]);
    expect(writes.updated).toEqual([]);
    expect(writes.watermark).toBe(8);
    expect(events.map((e) => [e.kind, e.incident.id, e.incident.traceCount])).toEqual([
      ['incident.opened', placeholder, 1],
    ]);
  });

  it('skips a trace already in an incident (a replayed range counts nothing twice)', () => {
    const o = detourObservation({ traceId: 5, startedAt: T0 });
    const first = foldObservations(empty, [o], QUIET, T0, AT_ONCE);
    const incident = { ...(first.writes.created[0] ?? ({} as never)), id: 40 };
    const again = foldObservations(
      { incidents: [incident], baselines: [], linked: [5] },
      [o],
      QUIET,
      T0,
      AT_ONCE,
    );
    expect(again.writes.created).toEqual([]);
    expect(again.writes.updated).toEqual([]);
    expect(again.writes.links).toEqual([]);
    expect(again.events).toEqual([]);
  });

  it('joins the loaded incident of the key, and a later domestic reading of the pair clears it', () => {
    const o = detourObservation({ traceId: 5, startedAt: T0 });
    const incident = {
      ...(foldObservations(empty, [o], QUIET, T0, AT_ONCE).writes.created[0] ?? ({} as never)),
      id: 40,
    };
    const { writes } = foldObservations(
      { incidents: [incident], baselines: [], linked: [] },
      [
        detourObservation({ traceId: 6, startedAt: T0 + HOUR }),
        domesticObservation({ traceId: 9, startedAt: T0 + 90 * 60_000 }),
      ],
      QUIET,
      T0 + 2 * HOUR,
      AT_ONCE,
    );
    expect(writes.created).toEqual([]);
    expect(writes.links).toEqual([{ incidentId: 40, traceId: 6 }]);
    expect(writes.updated).toEqual([
      expect.objectContaining({ id: 40, traceCount: 2, lastSeen: T0 + HOUR, lastClearAt: T0 + 90 * 60_000 }),
    ]);
  });

  it('closes only what has been quiet for the whole period', () => {
    const incident = {
      ...(foldObservations(empty, [detourObservation({ startedAt: T0 })], QUIET, T0, AT_ONCE).writes
        .created[0] ?? ({} as never)),
      id: 3,
    };
    expect(sweepIncidents([incident], QUIET, T0 + QUIET - 1).writes.updated).toEqual([]);
    const { writes, events } = sweepIncidents([incident], QUIET, T0 + QUIET);
    expect(writes.updated).toEqual([{ ...incident, state: 'closed', closedAt: T0 + QUIET }]);
    expect(events.map((e) => e.kind)).toEqual(['incident.closed']);
  });
});
