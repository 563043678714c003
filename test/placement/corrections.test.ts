/**
 * Issue 15, items 5 and 6, the pure parts: the physics test of a correction and its message, the geofeed CSV
 * both ways, and the incident rebuilt from the traces it keeps.
 */
import { describe, expect, it } from 'vitest';
import { incidentFold } from '../../server/incidents/fold.ts';
import { rebuiltOutcome } from '../../server/incidents/rebuild.ts';
import type { Incident, TraceObservation } from '../../server/incidents/types.ts';
import { greatCircleKm } from '../../server/physics/great-circle.ts';
import { discFrom } from '../../server/placement/constraints.ts';
import { correctionDiscs, refusalText, refutation } from '../../server/placement/correction-check.ts';
import { CORRECTION_RADIUS_KM } from '../../server/placement/decide.ts';
import { geofeedText, parseGeofeed } from '../../server/placement/geofeed.ts';
import { storedChanged, traceToJudge, verdictChanged } from '../../server/placement/rejudge-plan.ts';
import type { RejudgeCandidate } from '../../server/store/location-correction-store.ts';

const SEATTLE = { lat: 47.61, lon: -122.33 };
const ATLANTA = { lat: 33.75, lon: -84.39 };

describe('a correction against the RTTs', () => {
  const discs = correctionDiscs(
    {
      constraints: [{ agentId: 'a1', agentName: 'seattle-1', ...SEATTLE, minRttMs: 3.1, at: 0 }],
      readings: [{ traceId: 7, agentId: null, agentName: null, lat: 33.75, lon: -84.39, rttMs: 40, at: 0 }],
    },
    100,
  );

  it('names every vantage as evidence reads it', () => {
    expect(discs.map((d) => [d.vantage.label, d.radiusKm])).toEqual([
      ['the seattle-1 agent', 310],
      ['the probe at 33.75,-84.39 (trace #7)', 4000],
    ]);
  });

  it('allows a point inside every disc, with the correction radius placement uses', () => {
    expect(refutation({ lat: 47.2, lon: -122.4 }, discs)).toBeNull();
    // Just outside 310 km of Seattle, but within the correction's own radius of it.
    const edge = { lat: SEATTLE.lat + (310 + CORRECTION_RADIUS_KM / 2) / 111.2, lon: SEATTLE.lon };
    expect(greatCircleKm(SEATTLE, edge)).toBeGreaterThan(310);
    expect(refutation(edge, discs)).toBeNull();
  });

  it('refuses a point outside a disc, with the numbers', () => {
    const atlanta = refutation(ATLANTA, discs);
    expect(atlanta?.disc.vantage.label).toBe('the seattle-1 agent');
    const away = Math.round(greatCircleKm(SEATTLE, ATLANTA)).toLocaleString('en-US');
    expect(refusalText('198.51.100.7', ATLANTA, atlanta as NonNullable<typeof atlanta>)).toBe(
      `the seattle-1 agent measured 3.1 ms, so 198.51.100.7 is within 310 km of it; 33.75,-84.39 is ${away} km away`,
    );
    // Only the tightest offence is reported: far from both, Seattle's disc is the one most exceeded.
    const tokyo = refutation({ lat: 35.68, lon: 139.69 }, [
      ...discs,
      discFrom({ ...ATLANTA, label: 'x' }, 200, 100),
    ]);
    expect(tokyo?.disc.vantage.label).toBe('the seattle-1 agent');
  });
});

describe('the geofeed CSV', () => {
  const corrections = [
    {
      ip: '198.51.100.7',
      lat: 32.78,
      lon: -96.8,
      country: 'US',
      region: 'US-TX',
      city: 'Dallas',
      note: 'PoP "DFW3", per ticket 12, moved',
      by: 'alice',
      at: 0,
    },
    {
      ip: '2001:db8::1',
      lat: 1.29,
      lon: 103.85,
      country: 'SG',
      region: null,
      city: null,
      note: 'SG',
      by: 'bob',
      at: 0,
    },
  ];

  it('writes RFC 8805 columns first and reads back what it wrote', () => {
    const text = geofeedText(corrections, '2026-12-08T00:00:00.000Z');
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^# /);
    expect(lines[2]).toBe(
      '198.51.100.7/32,US,US-TX,Dallas,,32.78,-96.8,"PoP ""DFW3"", per ticket 12, moved"',
    );
    expect(lines[3]).toBe('2001:db8::1/128,SG,,,,1.29,103.85,SG');
    expect(parseGeofeed(text)).toEqual(
      corrections.map((c, i) => ({
        line: 3 + i,
        ip: c.ip,
        place: { lat: c.lat, lon: c.lon, country: c.country, region: c.region, city: c.city },
        note: c.note,
      })),
    );
  });

  it('refuses each bad line by its number, and reads the good ones', () => {
    const read = parseGeofeed(
      [
        '# comment',
        '',
        '198.51.100.7,us,us-tx,Dallas,,32.78,-96.8',
        '198.51.100.0/24,US,,,,1,1,x',
        '198.51.100.8,US,,,',
        '198.51.100.9,USA,,,,1,1,x',
        '198.51.100.10,US,Texas,,,1,1,x',
        'example.com,US,,,,1,1,x',
        '198.51.100.11,US,,,,1,1,"open',
        '198.51.100.7,US,,,,1,1,again',
        '198.51.100.12,US,,,,1,200,x',
      ].join('\r\n'),
    );
    expect(read[0]).toEqual({
      line: 3,
      ip: '198.51.100.7',
      place: { lat: 32.78, lon: -96.8, country: 'US', region: 'US-TX', city: 'Dallas' },
      note: 'imported from a geofeed',
    });
    const errors = read.slice(1).map((l) => [l.line, 'error' in l ? l.error : null]);
    expect(errors).toEqual([
      [4, expect.stringContaining('is a prefix')],
      [5, expect.stringContaining('5 columns')],
      [6, expect.stringContaining('not a country code')],
      [7, expect.stringContaining('not ISO 3166-2')],
      [8, expect.stringContaining('not an IP address')],
      [9, 'a quoted field is not closed on its line'],
      [10, '198.51.100.7 is corrected on line 3 already'],
      [11, expect.stringContaining('longitude 200')],
    ]);
  });
});

describe('an incident rebuilt from the traces it keeps', () => {
  const T = Date.parse('2026-12-01T00:00:00Z');
  const HOUR = 3_600_000;
  const detour = (traceId: number, startedAt: number): TraceObservation => ({
    traceId,
    agentId: null,
    sourcePosition: { lat: 37.77, lon: -122.42 },
    sourceIp: '192.0.2.1',
    destinationIp: '192.0.2.50',
    startedAt,
    verdict: 'detour',
    confidence: 'probable',
    foreignCountries: ['CN'],
    foreignAsns: [4134],
    pathCountries: ['US', 'CN'],
    pathAsns: null,
  });
  const fresh = (observations: TraceObservation[]) =>
    incidentFold.fold({ incidents: [], baselines: [], linked: [] }, observations, 2 * HOUR, T + 100 * HOUR);
  const old = { ...fresh([detour(1, T)]).writes.created[0], id: 12, lastClearAt: T + 90 * HOUR } as Incident;

  it('keeps its id for the oldest group; a group past the quiet period is an incident of its own', () => {
    const out = rebuiltOutcome(
      old,
      fresh([detour(2, T + HOUR), detour(3, T + 2 * HOUR), detour(4, T + 10 * HOUR)]),
    );
    expect(out.events).toEqual([]);
    expect(
      out.writes.updated.map((i) => [i.id, i.traceCount, i.firstTraceId, i.lastTraceId, i.lastClearAt]),
    ).toEqual([[12, 2, 2, 3, T + 90 * HOUR]]);
    expect(out.writes.created.map((i) => [i.id < 0, i.traceCount, i.firstTraceId])).toEqual([[true, 1, 4]]);
    expect(out.writes.links).toEqual([
      { incidentId: 12, traceId: 2 },
      { incidentId: 12, traceId: 3 },
      { incidentId: out.writes.created[0]?.id, traceId: 4 },
    ]);
    expect([out.writes.baselines, out.writes.samples, out.writes.watermark]).toEqual([[], [], 0]);
  });

  it('writes nothing when no trace is left', () => {
    expect(rebuiltOutcome(old, fresh([])).writes).toMatchObject({ created: [], updated: [], links: [] });
  });
});

describe('what re-judging counts as changed', () => {
  const base = {
    verdict: 'detour' as const,
    confidence: 'probable' as const,
    homeCountry: 'US',
    source: { ip: null, country: 'US' },
    destination: { ip: null, country: 'US' },
    countries: ['US', 'CN'],
    foreignAsns: [],
    foreignHops: [],
    refutedHops: [],
    extraKm: null,
    reason: 'r',
    hops: [],
  };
  it('a verdict by kind, confidence and countries; what is stored by anything but the database builds', () => {
    expect(verdictChanged(base, { ...base, reason: 'other' })).toBe(false);
    expect(verdictChanged(base, { ...base, verdict: 'domestic', confidence: null })).toBe(true);
    expect(storedChanged(base, { ...base, reason: 'other' })).toBe(true);
    expect(storedChanged(base, { ...base, geoDatabases: [{ role: 'city', name: 'x', builtAt: null }] })).toBe(
      false,
    );
  });
});

describe('the trace judged again', () => {
  const candidate: RejudgeCandidate = {
    traceId: 5,
    origin: 'agent',
    agentId: 'agent-1',
    startedAt: Date.parse('2026-12-01T00:00:00Z'),
    sourcePosition: { lat: 37.77, lon: -122.42 },
    sourceIp: null,
    destinationIp: '192.0.2.50',
    destinationName: null,
    tool: 'traceroute',
    method: 'udp',
    ipVersion: 4,
    verdict: {
      verdict: 'detour',
      confidence: 'probable',
      homeCountry: 'US',
      source: { ip: null, country: 'US' },
      destination: { ip: '192.0.2.50', country: 'US' },
      countries: ['US', 'CN'],
      foreignAsns: [],
      foreignHops: [],
      refutedHops: [],
      extraKm: null,
      reason: 'r',
      hops: [
        {
          ttl: 2,
          ip: '198.51.100.7',
          status: 'foreign-probable',
          country: 'CN',
          rttMs: 118,
          minRttMs: null,
          name: 'ae1.lax.example.net',
          asn: null,
          org: null,
          city: null,
          lat: null,
          lon: null,
          precision: null,
          database: null,
        },
      ],
    },
    raw: {
      engine: 'traceroute',
      target: '192.0.2.50',
      output:
        'traceroute to 192.0.2.50 (192.0.2.50), 30 hops max, 60 byte packets\n 1  10.0.0.1  0.4 ms\n 2  198.51.100.7  118.0 ms\n',
    },
    hops: [
      { ttl: 1, ip: '10.0.0.1', rttMs: 0.4, replies: 1, status: null, country: null, asn: null },
      { ttl: 2, ip: '198.51.100.7', rttMs: 118, replies: 1, status: null, country: null, asn: null },
      { ttl: 3, ip: null, rttMs: null, replies: 0, status: 'no-reply', country: null, asn: null },
    ],
  };
  // What a parser makes of the raw output (without a method or a start time, as traceroute's text).
  const parse = () => [
    {
      tool: 'traceroute' as const,
      method: 'unknown' as const,
      ipVersion: 4 as const,
      source: { address: null },
      destination: { address: '192.0.2.50' },
      startedAt: null,
      hops: [{ ttl: 2, replies: [{ address: '198.51.100.7', rttMs: 118 }] }],
    },
  ];

  it('is read again from the raw output, with the agent, its method and the names the verdict recorded', () => {
    const { trace, from } = traceToJudge(candidate, parse);
    expect(from).toBe('raw-output');
    expect([trace.source.agentId, trace.method]).toEqual(['agent-1', 'udp']);
    expect(trace.hops[0]?.replies[0]).toEqual({
      address: '198.51.100.7',
      rttMs: 118,
      name: 'ae1.lax.example.net',
    });
  });

  it('is rebuilt from the stored hops when the raw output is gone or unreadable', () => {
    const broken = () => {
      throw new Error('no');
    };
    for (const c of [{ ...candidate, raw: null }, candidate]) {
      const { trace, from } = traceToJudge(c, c.raw === null ? parse : broken);
      expect(from).toBe('stored-hops');
      expect(trace.startedAt).toBe('2026-12-01T00:00:00.000Z');
      expect(trace.hops.map((h) => h.replies)).toEqual([
        [{ address: '10.0.0.1', rttMs: 0.4 }],
        [{ address: '198.51.100.7', rttMs: 118, name: 'ae1.lax.example.net' }],
        [{ address: null, rttMs: null }],
      ]);
    }
  });
});
