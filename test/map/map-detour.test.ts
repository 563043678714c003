import { describe, expect, it } from 'vitest';
import type { HopReading, Verdict } from '../../protocol/verdict.ts';
import { detourDetail, mapHop, type StoredDetour } from '../../server/http/map-detour.ts';

const reading = (over: Partial<HopReading> & Pick<HopReading, 'ttl' | 'status'>): HopReading => ({
  ip: null,
  country: null,
  rttMs: null,
  minRttMs: null,
  name: null,
  asn: null,
  org: null,
  city: null,
  lat: null,
  lon: null,
  precision: null,
  database: null,
  ...over,
});

const home = reading({
  ttl: 1,
  ip: '192.0.2.1',
  status: 'home',
  country: 'US',
  lat: 37.3,
  lon: -121.9,
  precision: 'city',
  database: 'city.mmdb',
});
const london = reading({
  ttl: 2,
  ip: '192.0.2.161',
  status: 'refuted',
  country: 'GB',
  lat: 51.5,
  lon: -0.1,
  precision: 'city',
  rttMs: 2.1,
});
const frankfurt = reading({
  ttl: 3,
  ip: '192.0.2.129',
  status: 'foreign-probable',
  country: 'DE',
  lat: 50.1,
  lon: 8.7,
  precision: 'city',
  asn: 3320,
  org: 'DTAG',
  name: 'fra.example',
});
const dest = reading({
  ttl: 4,
  ip: '203.0.113.1',
  status: 'home',
  country: 'US',
  lat: 41.9,
  lon: -87.6,
  precision: 'city',
});

const verdict: Verdict = {
  verdict: 'detour',
  confidence: 'probable',
  homeCountry: 'US',
  source: { ip: '192.0.2.20', country: 'US' },
  destination: { ip: dest.ip, country: 'US' },
  countries: ['US', 'DE'],
  foreignAsns: [3320],
  foreignHops: [],
  refutedHops: [],
  extraKm: 1234,
  reason: 'test',
  hops: [home, london, frankfurt, dest],
};

const stored: StoredDetour = {
  id: 7,
  startedAt: '2026-03-01T10:00:00.000Z',
  agentId: 'ag_1',
  agentName: 'San Jose volunteer',
  target: 'chicago.example.com',
  sourcePosition: { lat: 37.34, lon: -121.89 },
  confidence: 'probable',
  verdict,
};

describe('map detour from a stored verdict', () => {
  it('moves a refuted location to `claimed`, so it is never drawn as a place the packet went', () => {
    const hop = mapHop(london);
    expect(hop.lat).toBeNull();
    expect(hop.lon).toBeNull();
    expect(hop.claimed).toEqual({ country: london.country, lat: london.lat, lon: london.lon });
  });

  it('keeps placed hops where the verdict placed them, with their evidence', () => {
    expect(mapHop(frankfurt)).toMatchObject({
      lat: frankfurt.lat,
      lon: frankfurt.lon,
      org: frankfurt.org,
      name: frankfurt.name,
      asn: frankfurt.asn,
    });
    expect(mapHop(home).locationSource).toBe(home.database);
  });

  it('places the source at the prober and the destination where its address answered', () => {
    const d = detourDetail(stored);
    expect(d.source).toMatchObject({ ip: verdict.source.ip, lat: stored.sourcePosition?.lat });
    expect(d.destination).toEqual({ ip: dest.ip, country: 'US', lat: dest.lat, lon: dest.lon });
    expect(d.path.map((p) => p.ttl)).toEqual([home.ttl, london.ttl, frankfurt.ttl, dest.ttl]);
    expect(d.agent).toEqual({ id: stored.agentId, name: stored.agentName });
  });

  it('leaves the destination unplaced when it never answered, and imports without an agent', () => {
    const d = detourDetail({
      ...stored,
      agentId: null,
      agentName: null,
      verdict: { ...verdict, hops: [home, frankfurt] },
    });
    expect(d.destination.lat).toBeNull();
    expect(d.agent).toBeNull();
  });
});
