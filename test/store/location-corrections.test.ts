/**
 * Issue 15, items 5 and 6, the store group on both engines: corrections with their change log, the readings
 * and traces found through the hops' address index, and re-judged verdicts written back with the incidents
 * following (a detour that is no more leaves its incident, which is rebuilt from the rest or removed; a new
 * detour joins one again).
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { HopReading, Verdict } from '../../protocol/verdict.ts';
import { incidentFold } from '../../server/incidents/fold.ts';
import type { StoredCorrection } from '../../server/store/location-correction-store.ts';
import type { ImportRecord } from '../../server/store/trace-store.ts';
import { describeEngines, storeEngines, type TestStore } from '../history/test-store.ts';

const engines = await storeEngines('location corrections and re-judging');
const HOUR = 3_600_000;
const T0 = Date.now() - HOUR;
const SF = { lat: 37.77, lon: -122.42 };
const NY = { lat: 40.71, lon: -74.01 };
const DESTINATION = '192.0.2.50';
let keys = 0;

function reading(ttl: number, ip: string, rttMs: number, abroad: boolean): HopReading {
  return {
    ttl,
    ip,
    status: abroad ? 'foreign-probable' : 'home',
    country: abroad ? 'CN' : 'US',
    rttMs,
    minRttMs: null,
    name: null,
    asn: abroad ? 4134 : null,
    org: null,
    city: abroad ? 'Shanghai' : 'Los Angeles',
    lat: abroad ? 31.23 : 34.05,
    lon: abroad ? 121.47 : -118.24,
    precision: 'city',
    database: 'test',
  };
}

/** A detour via CN through `hop` (or, `abroad` false, the same path judged domestic). */
function verdictOf(hop: string, rttMs: number, abroad: boolean): Verdict {
  return {
    verdict: abroad ? 'detour' : 'domestic',
    confidence: abroad ? 'probable' : null,
    homeCountry: 'US',
    source: { ip: '192.0.2.1', country: 'US' },
    destination: { ip: DESTINATION, country: 'US' },
    countries: abroad ? ['US', 'CN'] : ['US'],
    foreignAsns: abroad ? [4134] : [],
    foreignHops: abroad
      ? [
          {
            ttl: 1,
            ip: hop,
            country: 'CN',
            asn: 4134,
            org: null,
            city: 'Shanghai',
            lat: 31.23,
            lon: 121.47,
            precision: 'city',
            rttMs,
            minRttMs: 99,
            confirmed: false,
          },
        ]
      : [],
    refutedHops: [],
    extraKm: abroad ? 18000 : null,
    reason: abroad ? 'test detour' : 'test domestic',
    hops: [reading(1, hop, rttMs, abroad), reading(2, DESTINATION, 2 * rttMs, false)],
  };
}

function traceRecord(hop: string, rttMs: number, at: number, from: typeof SF, abroad: boolean): ImportRecord {
  return {
    origin: 'import',
    agentId: null,
    importKey: `corrections-${process.pid}-${++keys}`,
    trace: {
      tool: 'atlas',
      method: 'icmp-paris',
      ipVersion: 4,
      source: { address: '192.0.2.1' },
      destination: { address: DESTINATION },
      startedAt: new Date(at).toISOString(),
      hops: [
        { ttl: 1, replies: [{ address: hop, rttMs }] },
        { ttl: 2, replies: [{ address: DESTINATION, rttMs: 2 * rttMs }] },
      ],
    },
    verdict: verdictOf(hop, rttMs, abroad),
    sourcePosition: from,
    pathAsns: [4134],
  };
}

function correction(ip: string, at: number, city = 'Los Angeles'): StoredCorrection {
  return {
    ip,
    lat: 34.05,
    lon: -118.24,
    country: 'US',
    region: 'US-CA',
    city,
    note: `test ${city}`,
    by: 'test',
    at,
  };
}

describeEngines(engines, (engine) => {
  let env: TestStore;
  beforeEach(async () => {
    env = await engine.open();
    env.store.setIncidentFold({ fold: incidentFold, quietMs: 2 * HOUR, now: Date.now, committed: () => {} });
  });
  afterEach(async () => env.cleanup());

  /** Two detours of one cause (one via .7, one via .8) and a domestic trace through .7 from New York. */
  async function world(): Promise<{ a: number; b: number; c: number }> {
    await env.store.writeImported([
      traceRecord('198.51.100.7', 150, T0, SF, true),
      traceRecord('198.51.100.8', 160, T0 + 60_000, SF, true),
      traceRecord('198.51.100.7', 80, T0 + 120_000, NY, false),
    ]);
    const ids = (await env.query<{ id: number }>('SELECT id FROM traces ORDER BY started_at')).map((r) =>
      Number(r.id),
    );
    return { a: ids[0] as number, b: ids[1] as number, c: ids[2] as number };
  }

  it('finds the readings and the traces of an address through its hops', async () => {
    const { a, c } = await world();
    const readings = await env.store.proberReadings('198.51.100.7', 10);
    // One per prober position, each its lowest stored RTT, lowest first.
    expect(readings.map((r) => [r.lat, r.lon, r.rttMs, r.traceId])).toEqual([
      [NY.lat, NY.lon, 80, c],
      [SF.lat, SF.lon, 150, a],
    ]);
    expect(await env.store.proberReadings('198.51.100.99', 10)).toEqual([]);
    const found = await env.store.rejudgeCandidates('198.51.100.7', T0 - 1000, 10);
    expect(found.map((t) => t.traceId)).toEqual([c, a]);
    expect(found[1]?.verdict.verdict).toBe('detour');
    expect(found[1]?.hops.map((h) => [h.ttl, h.ip, h.rttMs])).toEqual([
      [1, '198.51.100.7', 150],
      [2, DESTINATION, 300],
    ]);
    expect(found[1]?.sourcePosition).toEqual(SF);
    // The window: only traces started since.
    expect((await env.store.rejudgeCandidates('198.51.100.7', T0 + 1000, 10)).map((t) => t.traceId)).toEqual([
      c,
    ]);
    expect((await env.store.rejudgeCandidates('198.51.100.7', T0 - 1000, 1)).length).toBe(1);
  });

  it('moves a re-judged detour out of its incident and back in, and removes an incident left empty', async () => {
    const { a, b } = await world();
    const incidents = () =>
      env.query<{ id: number; trace_count: number }>('SELECT id, trace_count FROM incidents ORDER BY id');
    const [incident] = await incidents();
    expect(incident?.trace_count).toBe(2);
    const id = Number(incident?.id);
    const again = (traceId: number, hop: string, rtt: number, abroad: boolean, at: number) => ({
      traceId,
      agentId: null,
      startedAt: at,
      sourcePosition: SF,
      trace: traceRecord(hop, rtt, at, SF, abroad).trace,
      verdict: verdictOf(hop, rtt, abroad),
      pathAsns: null,
    });

    // A becomes domestic: it leaves; the incident is rebuilt from B alone.
    expect(await env.store.writeRejudged([again(a, '198.51.100.7', 150, false, T0)])).toEqual([
      { traceId: a, left: id, incident: null },
    ]);
    expect((await incidents()).map((i) => [Number(i.id), Number(i.trace_count)])).toEqual([[id, 1]]);
    expect(await env.count('SELECT COUNT(*) FROM incident_traces WHERE trace_id = ?', [a])).toBe(0);
    expect(await env.count('SELECT COUNT(*) FROM foreign_hops WHERE trace_id = ?', [a])).toBe(0);
    const row = (
      await env.query<{ verdict: string; verdict_json: string }>(
        'SELECT verdict, verdict_json FROM traces WHERE id = ?',
        [a],
      )
    )[0];
    expect(row?.verdict).toBe('domestic');
    expect((JSON.parse(row?.verdict_json ?? '{}') as Verdict).reason).toBe('test domestic');
    expect(
      await env.query<{ status: string; country: string }>(
        'SELECT status, country FROM hops WHERE trace_id = ? AND ttl = 1',
        [a],
      ),
    ).toEqual([{ status: 'home', country: 'US' }]);
    const first = (await env.query<{ first_trace_id: number }>('SELECT first_trace_id FROM incidents'))[0];
    expect(Number(first?.first_trace_id)).toBe(b);

    // A is a detour again: it joins the incident of its cause.
    expect(await env.store.writeRejudged([again(a, '198.51.100.7', 150, true, T0)])).toEqual([
      { traceId: a, left: null, incident: id },
    ]);
    expect((await incidents()).map((i) => [Number(i.id), Number(i.trace_count)])).toEqual([[id, 2]]);
    expect(await env.count('SELECT COUNT(*) FROM foreign_hops WHERE trace_id = ?', [a])).toBe(1);

    // Both domestic: nothing is left of the incident.
    const links = await env.store.writeRejudged([
      again(a, '198.51.100.7', 150, false, T0),
      again(b, '198.51.100.8', 160, false, T0 + 60_000),
    ]);
    expect(links.map((l) => [l.left, l.incident])).toEqual([
      [id, null],
      [id, null],
    ]);
    expect(await env.count('SELECT COUNT(*) FROM incidents')).toBe(0);
    expect(await env.count('SELECT COUNT(*) FROM incident_traces')).toBe(0);
  });

  it('keeps corrections with who and when, and logs each change as pending until re-judged', async () => {
    const at = Date.parse('2026-12-01T00:00:00Z');
    const changes = await env.store.setLocationCorrections([
      correction('198.51.100.7', at),
      correction('2001:db8::1', at),
    ]);
    expect(changes.map((c) => [c.ip, c.kind, c.state, c.before, c.after?.city])).toEqual([
      ['198.51.100.7', 'set', 'pending', null, 'Los Angeles'],
      ['2001:db8::1', 'set', 'pending', null, 'Los Angeles'],
    ]);
    const [moved] = await env.store.setLocationCorrections([correction('198.51.100.7', at + 1, 'Anaheim')]);
    expect(moved?.before?.city).toBe('Los Angeles');
    expect(moved?.after?.city).toBe('Anaheim');
    expect(await env.store.getLocationCorrection('198.51.100.7')).toEqual(
      correction('198.51.100.7', at + 1, 'Anaheim'),
    );
    expect((await env.store.listLocationCorrections()).map((c) => c.ip)).toEqual([
      '198.51.100.7',
      '2001:db8::1',
    ]);

    const removed = await env.store.removeLocationCorrection('2001:db8::1', 'remover', at + 2);
    expect([removed?.kind, removed?.by, removed?.before?.city, removed?.after]).toEqual([
      'remove',
      'remover',
      'Los Angeles',
      null,
    ]);
    expect(await env.store.removeLocationCorrection('2001:db8::1', 'remover', at + 3)).toBeNull();
    expect(await env.store.getLocationCorrection('2001:db8::1')).toBeNull();

    const pending = await env.store.pendingPlacementChanges(10);
    expect(pending.map((c) => c.id)).toEqual([...pending.map((c) => c.id)].sort((x, y) => x - y));
    expect(pending.length).toBe(4);
    const done = pending[0]?.id as number;
    await env.store.finishPlacementChange(done, {
      state: 'applied',
      appliedAt: at + 10,
      windowFrom: at - 30 * 24 * HOUR,
      tracesRejudged: 3,
      verdictsChanged: 1,
      changes: [
        {
          traceId: 9,
          from: { verdict: 'detour', confidence: 'probable', foreignCountries: ['CN'] },
          to: { verdict: 'domestic', confidence: null, foreignCountries: [] },
          leftIncident: 4,
          incident: null,
        },
      ],
      error: null,
    });
    expect((await env.store.pendingPlacementChanges(10)).length).toBe(3);
    const log = await env.store.placementChanges({ ip: '198.51.100.7', limit: 10 });
    expect(log.map((c) => c.after?.city)).toEqual(['Anaheim', 'Los Angeles']);
    const applied = log.find((c) => c.id === done);
    expect([
      applied?.state,
      applied?.tracesRejudged,
      applied?.verdictsChanged,
      applied?.changes[0]?.leftIncident,
    ]).toEqual(['applied', 3, 1, 4]);
    expect((await env.store.placementChanges({ limit: 2 })).length).toBe(2);
  });
});
