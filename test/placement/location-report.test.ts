/**
 * The location report (server/placement/location-report.ts), a pure function of its inputs: table cases over
 * the packaged dictionaries, with expectations from the inputs and the physics (radius = RTT x km per ms).
 */
import { describe, expect, it } from 'vitest';
import type { AddressInfo, GeoLocation } from '../../protocol/annotated.ts';
import type { LocationCorrectionItem } from '../../protocol/location-corrections.ts';
import { greatCircleKm, type LatLon } from '../../server/physics/great-circle.ts';
import { packagedGazetteer } from '../../server/placement/dictionaries.ts';
import { type LocationReportInputs, locationReport } from '../../server/placement/location-report.ts';
import type { RouterConstraint } from '../../server/store/router-constraint-store.ts';
import { AT } from './places.ts';

const HOME = new Set(['US', 'PR', 'GU', 'VI', 'AS', 'MP', 'UM']);
const KM_PER_MS = 100;
const T = Date.parse('2026-03-01T12:00:00Z');

function db(country: string, city: string | null, at: LatLon): GeoLocation {
  return {
    country,
    city,
    ...at,
    accuracyKm: 20,
    precision: city === null ? 'country' : 'city',
    source: 'city-db',
    database: 'test-city.mmdb',
  };
}

const info = (location: GeoLocation | null): AddressInfo => ({
  address: '198.51.100.10',
  class: 'global',
  location,
  asn: { asn: 2914, org: 'NTT-LTD-2914', database: 'test-asn.mmdb' },
});

const agent = (agentName: string, at: LatLon, minRttMs: number): RouterConstraint => ({
  agentId: `id-${agentName}`,
  agentName,
  ...at,
  minRttMs,
  at: T,
});

const AROUND_DALLAS = [
  agent('dallas-1', AT.dallas, 0.8),
  agent('kc-1', AT.kansasCity, 8),
  agent('atlanta-1', AT.atlanta, 12),
];

const inputs = (over: Partial<LocationReportInputs>): LocationReportInputs => ({
  ip: '198.51.100.10',
  info: info(db('MX', 'Monterrey', AT.monterrey)),
  hostname: null,
  constraints: [],
  correction: null,
  gazetteer: packagedGazetteer,
  home: HOME,
  kmPerMs: KM_PER_MS,
  ...over,
});

const correction = (at: LatLon, country: string, city: string): LocationCorrectionItem => ({
  ip: '198.51.100.10',
  ...at,
  country,
  region: null,
  city,
  note: 'seen in the rack',
  by: 'ops',
  at: new Date(T).toISOString(),
});

describe('locationReport', () => {
  it('without constraints or a name: the database stands, untested, and the region is unbounded', () => {
    const r = locationReport(inputs({}));
    expect(r.decision.source).toBe('database');
    expect(r.decision.location?.country).toBe('MX');
    expect(r.decision.claims.map((c) => [c.source, c.status])).toEqual([['database', 'untested']]);
    expect(r.region).toEqual({
      discs: 0,
      tightestKm: null,
      tightestVantage: null,
      atHome: null,
      feasibleCities: null,
      examples: [],
      abroad: null,
    });
    expect(r.asn).toEqual({ asn: 2914, org: 'NTT-LTD-2914' });
    expect(r.constraints).toEqual([]);
    expect(r.correction).toBeNull();
  });

  it('three verified agents: each disc listed, Monterrey refuted, placed at home by constraint', () => {
    const r = locationReport(inputs({ constraints: AROUND_DALLAS }));
    expect(r.constraints).toEqual(
      AROUND_DALLAS.map((c) => ({
        agentId: c.agentId,
        agentName: c.agentName,
        vantage: `the ${c.agentName} agent`,
        lat: c.lat,
        lon: c.lon,
        minRttMs: c.minRttMs,
        radiusKm: c.minRttMs * KM_PER_MS,
        at: new Date(T).toISOString(),
      })),
    );
    expect(r.region.discs).toBe(3);
    expect(r.region.tightestKm).toBe(0.8 * KM_PER_MS);
    expect(r.region.tightestVantage).toBe('the dallas-1 agent');
    expect(r.region.atHome).toBe(true);
    expect(r.region.feasibleCities).toBeGreaterThan(0);
    expect(r.region.examples.length).toBeGreaterThan(0);
    const dbClaim = r.decision.claims.find((c) => c.source === 'database');
    expect(dbClaim?.status).toBe('refuted');
    expect(r.decision.source).toBe('constraint');
    const at = r.decision.location as LatLon;
    for (const c of AROUND_DALLAS) expect(greatCircleKm(c, at)).toBeLessThanOrEqual(c.minRttMs * KM_PER_MS);
  });

  it('a CLLI name the constraints allow: placed by hostname, the reading listed with rule and token', () => {
    const r = locationReport(
      inputs({ hostname: 'ae-2.r20.dllstx09.us.bb.gin.ntt.net', constraints: AROUND_DALLAS }),
    );
    expect(r.hostname).toBe('ae-2.r20.dllstx09.us.bb.gin.ntt.net');
    expect(r.hostnameReadings.some((h) => h.rule === 'clli' && h.token === 'dllstx')).toBe(true);
    expect(r.decision.source).toBe('hostname');
    expect(r.decision.location?.country).toBe('US');
    expect(greatCircleKm(r.decision.location as LatLon, AT.dallas)).toBeLessThan(50);
  });

  it("a name the RTTs refute is rejected with the agent's numbers", () => {
    const r = locationReport(inputs({ hostname: 'ae1.fra01.example.net', constraints: AROUND_DALLAS }));
    const fra = r.decision.claims.find((c) => c.source === 'hostname' && c.token === 'fra');
    expect(fra?.status).toBe('refuted');
    expect(fra?.refutation?.vantage).toMatch(/^the (dallas-1|kc-1|atlanta-1) agent$/);
    expect(r.decision.source).not.toBe('hostname');
  });

  it("an operator's correction: chosen when the RTTs allow it, refuted with the numbers when not", () => {
    const ok = locationReport(
      inputs({ constraints: AROUND_DALLAS, correction: correction(AT.dallas, 'US', 'Dallas') }),
    );
    expect(ok.correction?.city).toBe('Dallas');
    expect(ok.decision.source).toBe('operator');
    const far = locationReport(
      inputs({ constraints: AROUND_DALLAS, correction: correction(AT.frankfurt, 'DE', 'Frankfurt') }),
    );
    const claim = far.decision.claims.find((c) => c.source === 'operator');
    expect(claim?.status).toBe('refuted');
    expect(far.decision.source).toBe('constraint');
  });

  it('a special address has no database claim', () => {
    const r = locationReport(
      inputs({ info: { address: '10.0.0.1', class: 'private', location: null, asn: null } }),
    );
    expect(r.database).toBeNull();
    expect(r.decision.claims).toEqual([]);
    expect(r.decision.location).toBeNull();
  });
});
