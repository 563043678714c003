/**
 * The replayable event stream's table (issue 12), on both engines: events are written in the transaction that
 * stores what they report (a failed batch writes none), seqs only grow, incident events follow the fold's
 * outcome, retention deletes a prefix and says so. On PostgreSQL: writers on several stores at once, and a
 * reader polling `seq > last` that must end with exactly the committed events (the events lock, pg/events.ts).
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { TRACE_STORED, type TraceStoredData } from '../../protocol/events-api.ts';
import { INCIDENT_EVENT_KINDS, type IncidentItem } from '../../protocol/history-api.ts';
import { createIncidentFold } from '../../server/incidents/fold.ts';
import { startIncidentTracker } from '../../server/incidents/tracker.ts';
import type { StoredEvent } from '../../server/store/event-store.ts';
import { openPostgresStore } from '../../server/store/pg/open.ts';
import type { Store } from '../../server/store/store.ts';
import { detourObservation, domesticObservation } from '../history/observation.ts';
import { describeEngines, storeEngines, type TestStore } from '../history/test-store.ts';
import { recordOf } from '../history/trace-records.ts';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-03-01T00:00:00Z');
const AT_ONCE = createIncidentFold({ corroboration: 1, maxWitnessesPerOwner: 2 });
const engines = await storeEngines('the event stream');

async function allEvents(store: Store, types?: string[]): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for (let after = 0; ; ) {
    const page = await store.eventsAfter(after, { limit: 7, types: types ?? null });
    out.push(...page.events);
    if (page.events.length < 7) return out;
    after = page.events[page.events.length - 1]?.seq ?? after;
  }
}

const increasing = (seqs: readonly number[]): boolean =>
  seqs.every((s, i) => i === 0 || s > (seqs[i - 1] ?? 0));

describeEngines(engines, (engine) => {
  let env: TestStore;
  beforeEach(async () => {
    env = await engine.open();
  });
  afterEach(() => env.cleanup());

  it('stores one trace.stored per trace, in the write transaction, with the summary a live feed shows', async () => {
    const observations = [
      detourObservation({ startedAt: T0, agentId: null }),
      domesticObservation({ startedAt: T0 + 60_000, agentId: null, destinationIp: '203.0.113.99' }),
    ];
    expect(await env.store.writeImported(observations.map(recordOf))).toBe(2);
    const events = await allEvents(env.store);
    expect(events.map((e) => e.type)).toEqual([TRACE_STORED, TRACE_STORED]);
    expect(increasing(events.map((e) => e.seq))).toBe(true);
    const traceIds = (await env.query<{ id: number }>('SELECT id FROM traces ORDER BY id')).map((r) => r.id);
    const data = events.map((e) => JSON.parse(e.data) as TraceStoredData);
    expect(data.map((d) => d.traceId)).toEqual(traceIds);
    observations.forEach((o, i) => {
      expect(data[i]).toMatchObject({
        startedAt: new Date(o.startedAt).toISOString(),
        origin: 'import',
        agentId: null,
        verdict: o.verdict,
        confidence: o.confidence,
        countries: o.pathCountries,
        foreignCountries: o.foreignCountries,
        destinationIp: o.destinationIp,
      });
    });
    expect(await env.store.lastEventSeq()).toBe(events[events.length - 1]?.seq);
  });

  it('a batch whose fold fails stores neither its traces nor their events', async () => {
    env.store.setIncidentFold({
      fold: {
        ...AT_ONCE,
        fold: () => {
          throw new Error('the fold broke');
        },
      },
      quietMs: HOUR,
      now: () => T0,
      committed: () => {},
    });
    await expect(env.store.writeImported([recordOf(detourObservation({ startedAt: T0 }))])).rejects.toThrow(
      /none was stored/,
    );
    expect(await env.count('SELECT COUNT(*) FROM traces')).toBe(0);
    expect(await env.count('SELECT COUNT(*) FROM events')).toBe(0);
    expect(await env.store.lastEventSeq()).toBe(0);
  });

  it("writes the fold's incident events after the traces, and the sweep's closing, whatever their kinds", async () => {
    let now = T0 + HOUR;
    const tracker = await startIncidentTracker({
      store: env.store,
      fold: AT_ONCE,
      quietMs: 2 * HOUR,
      now: () => now,
      raise: () => {},
    });
    await env.store.writeImported([recordOf(detourObservation({ startedAt: T0 }))]);
    now = T0 + 10 * HOUR;
    const closed = await tracker.sweep();
    expect(closed.map((e) => e.kind)).toEqual(['incident.closed']);
    const events = await allEvents(env.store);
    expect(events.map((e) => e.type)).toEqual([TRACE_STORED, 'incident.opened', 'incident.closed']);
    expect(increasing(events.map((e) => e.seq))).toBe(true);
    const [incident] = await env.query<{ id: number }>('SELECT id FROM incidents');
    for (const e of events.slice(1)) {
      expect((INCIDENT_EVENT_KINDS as readonly string[]).includes(e.type)).toBe(true);
      const data = JSON.parse(e.data) as IncidentItem;
      expect(data.id).toBe(incident?.id);
      expect(data).not.toHaveProperty('witnessList');
    }
    expect(JSON.parse(events[2]?.data ?? '{}').state).toBe('closed');
    tracker.stop();
  });

  it('appends events alone, filters by type, and retention deletes a prefix it reports', async () => {
    const seqs = await env.store.appendEvents(
      Array.from({ length: 10 }, (_, i) => ({
        type: i % 2 === 0 ? 'placement.changed' : 'incident.opened',
        at: T0 + i * HOUR,
        data: { n: i },
      })),
    );
    expect(seqs).toHaveLength(10);
    expect(increasing(seqs)).toBe(true);
    const placements = await allEvents(env.store, ['placement.changed']);
    expect(placements.map((e) => JSON.parse(e.data).n)).toEqual([0, 2, 4, 6, 8]);
    // Older than T0 + 6 h: the first six; but the newest 5 are kept whatever their age.
    expect(await env.store.pruneEvents({ before: T0 + 6 * HOUR, keep: 5 })).toBe(5);
    let page = await env.store.eventsAfter(0, { limit: 100 });
    expect(page.prunedThrough).toBe(seqs[4]);
    expect(page.events.map((e) => e.seq)).toEqual(seqs.slice(5));
    expect(await env.store.pruneEvents({ before: T0 + 100 * HOUR })).toBe(5);
    page = await env.store.eventsAfter(seqs[7] ?? 0, { limit: 100 });
    expect(page).toEqual({ events: [], prunedThrough: seqs[9] });
    // Nothing left, and yet a new stream starts after what was deleted, and new seqs go on above it.
    expect(await env.store.lastEventSeq()).toBe(seqs[9]);
    const [next] = await env.store.appendEvents([{ type: 'placement.changed', at: T0, data: {} }]);
    expect(next).toBeGreaterThan(seqs[9] ?? 0);
  });

  it('wakes a watcher after events are appended', async () => {
    let woken = 0;
    const stop = await env.store.watchEvents(() => woken++);
    const before = woken;
    await env.store.appendEvents([{ type: 'placement.changed', at: T0, data: {} }]);
    await expect.poll(() => woken, { timeout: 5000 }).toBeGreaterThan(before);
    await stop();
  });
});

const postgres = engines.find((e) => e.name === 'PostgreSQL');
describeEngines(
  postgres ? [{ ...postgres, suite: 'the event stream under concurrent writers' }] : [],
  (engine) => {
    let env: TestStore;
    const extra: Store[] = [];
    beforeEach(async () => {
      env = await engine.open();
    });
    afterEach(async () => {
      for (const s of extra.splice(0)) await s.close();
      await env.cleanup();
    });

    it('a reader polling seq > last misses no event committed by writers on three stores at once', async () => {
      const url = env.cliArgs[1] ?? '';
      const stores = [env.store];
      for (let i = 0; i < 2; i++) {
        const other = await openPostgresStore({ url, create: false, poolSize: 6 });
        extra.push(other);
        stores.push(other);
      }
      // Writers whose transactions overlap: event appends, trace imports, and appends that roll back (gaps).
      let writing = true;
      const seen: number[] = [];
      const reader = (async () => {
        let last = 0;
        for (;;) {
          const done = !writing;
          for (;;) {
            const page = await env.store.eventsAfter(last, { limit: 50 });
            for (const e of page.events) {
              seen.push(e.seq);
              last = e.seq;
            }
            if (page.events.length < 50) break;
          }
          if (done) return;
        }
      })();
      const writes: Promise<unknown>[] = [];
      for (let round = 0; round < 30; round++) {
        stores.forEach((store, i) => {
          writes.push(
            store.appendEvents([
              { type: 'placement.changed', at: T0, data: { round, i } },
              { type: 'placement.changed', at: T0, data: { round, i, second: true } },
            ]),
          );
          writes.push(
            store.writeImported([recordOf(detourObservation({ startedAt: T0 + round * 1000 + i }))]),
          );
          // Seqs taken and never used: gaps the reader must not wait for.
          writes.push(env.query("SELECT nextval(pg_get_serial_sequence('events', 'seq'))"));
        });
      }
      await Promise.all(writes);
      writing = false;
      await reader;
      const committed = (await env.query<{ seq: number }>('SELECT seq FROM events ORDER BY seq')).map(
        (r) => r.seq,
      );
      expect(committed).toHaveLength(30 * 3 * 3);
      expect(seen).toEqual(committed);
    });

    it("one store's NOTIFY wakes another store's watcher", async () => {
      const url = env.cliArgs[1] ?? '';
      const other = await openPostgresStore({ url, create: false });
      extra.push(other);
      let woken = 0;
      const stop = await env.store.watchEvents(() => woken++);
      const before = woken;
      await other.appendEvents([{ type: 'placement.changed', at: T0, data: {} }]);
      await expect.poll(() => woken, { timeout: 5000 }).toBeGreaterThan(before);
      await stop();
    });
  },
);
