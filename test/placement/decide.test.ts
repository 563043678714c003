/**
 * One placement per router address, pure: claims best first (correction, hostname, database city, constraints,
 * database country), each tested against every RTT disc. Distances come from the physics module.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { homeFrom } from '../../server/detect/home-countries.ts';
import { greatCircleKm } from '../../server/physics/great-circle.ts';
import { decidePlacement } from '../../server/placement/decide.ts';
import { packagedGazetteer } from '../../server/placement/dictionaries.ts';
import type { Gazetteer } from '../../server/placement/gazetteer.ts';
import { agent, dbCity, dbCountry, evidence, KM_PER_MS, prober, rtt } from './evidence.ts';
import { AT } from './places.ts';

let gazetteer: Gazetteer;
beforeAll(() => {
  gazetteer = packagedGazetteer();
});
const US = homeFrom('US').countries;
const decide = (e: ReturnType<typeof evidence>) => decidePlacement(e, () => gazetteer, US);

describe('decidePlacement', () => {
  it('a dllstx router the database puts in Monterrey, at an RTT from Denver that allows both: Dallas by hostname', () => {
    const ms = greatCircleKm(AT.denver, AT.monterrey) / KM_PER_MS + 2;
    const d = decide(
      evidence(gazetteer, {
        hostname: 'ae-2.r20.dllstx09.us.bb.gin.ntt.net',
        database: dbCity(AT.monterrey, 'MX', 'Monterrey'),
        discs: [rtt(prober(AT.denver), ms)],
      }),
    );
    expect(d.placement).toMatchObject({ source: 'hostname', rule: 'clli', token: 'dllstx' });
    expect(d.location).toMatchObject({
      country: 'US',
      city: 'Dallas',
      source: 'hostname',
      precision: 'city',
    });
    expect(greatCircleKm(d.location ?? AT.monterrey, AT.dallas)).toBeLessThan(30);
    const db = d.placement.claims.find((c) => c.source === 'database');
    expect(db?.status).toBe('consistent');
    expect(d.placement.reason).toMatch(/the database said Monterrey \(MX\)/);
  });

  it('a Singapore name on a router the database puts at the US centroid, 180 ms from Denver: Singapore', () => {
    const d = decide(
      evidence(gazetteer, {
        hostname: 'ae-5.r21.sngpsi07.sg.bb.gin.ntt.net',
        database: dbCountry(AT.usCentroid, 'US'),
        discs: [rtt(prober(AT.denver), 180)],
      }),
    );
    expect(d.placement.source).toBe('hostname');
    expect(d.location?.country).toBe('SG');
    expect(greatCircleKm(d.location ?? AT.denver, AT.singapore)).toBeLessThan(50);
  });

  it('a fra hint at 2 ms from Atlanta is refuted, says so, and the database city stays', () => {
    const d = decide(
      evidence(gazetteer, {
        hostname: 'xe-0-1.fra03.example.net',
        database: dbCity(AT.atlanta, 'US', 'Atlanta'),
        discs: [rtt(prober(AT.atlanta), 2)],
      }),
    );
    expect(d.placement.source).toBe('database');
    expect(d.location?.city).toBe('Atlanta');
    const hint = d.placement.claims.find((c) => c.source === 'hostname');
    expect(hint).toMatchObject({ status: 'refuted', rule: 'iata', token: 'fra', country: 'DE' });
    expect(hint?.why).toMatch(/within 200 km of the prober by its 2 ms/);
    expect(hint?.refutation?.claimedKm).toBeGreaterThan(greatCircleKm(AT.atlanta, AT.frankfurt) - 100);
  });

  it('a bare 3-letter code does not move a hop abroad against a database at home, however the RTTs allow it', () => {
    const d = decide(
      evidence(gazetteer, {
        hostname: 'xe-0-1.fra03.example.net',
        database: dbCity(AT.atlanta, 'US', 'Atlanta'),
        discs: [rtt(prober(AT.atlanta), 150)],
      }),
    );
    expect(d.placement.source).toBe('database');
    expect(d.placement.claims.find((c) => c.source === 'hostname')?.status).toBe('not-trusted');
    // With a country label that agrees it does.
    const labelled = decide(
      evidence(gazetteer, {
        hostname: 'xe-0-1.fra03.de.example.net',
        database: dbCity(AT.atlanta, 'US', 'Atlanta'),
        discs: [rtt(prober(AT.atlanta), 150)],
      }),
    );
    expect(labelled.location?.country).toBe('DE');
  });

  it('a city name with namesakes: the RTTs choose San Jose, California from Seattle', () => {
    const d = decide(
      evidence(gazetteer, {
        hostname: 'sanjose1.example.net',
        database: null,
        discs: [rtt(prober(AT.seattle), 15)],
      }),
    );
    expect(d.location).toMatchObject({ country: 'US', city: 'San Jose' });
  });

  it('without any RTT from a known position a hint is untested and unused', () => {
    const db = dbCity(AT.monterrey, 'MX', 'Monterrey');
    const d = decide(
      evidence(gazetteer, { hostname: 'ae-2.r20.dllstx09.us.bb.gin.ntt.net', database: db, discs: [] }),
    );
    expect(d.location).toBe(db);
    expect(d.placement.claims.find((c) => c.source === 'hostname')?.status).toBe('untested');
  });

  it('three agents place an unnamed router by constraints alone, at home, and refute the database abroad', () => {
    // A Kansas City router the database puts in Toronto; each agent's RTT is its distance plus 1.5 ms.
    const agents = [agent(AT.denver, 'Denver'), agent(AT.dallas, 'Dallas'), agent(AT.chicago, 'Chicago')];
    const discs = agents.map((a) => rtt(a, greatCircleKm(a, AT.kansasCity) / KM_PER_MS + 1.5));
    const d = decide(evidence(gazetteer, { database: dbCity(AT.toronto, 'CA', 'Toronto'), discs }));
    expect(d.placement.source).toBe('constraint');
    expect(d.location).toMatchObject({ country: 'US', source: 'constraint' });
    const placed = d.location ?? AT.toronto;
    for (const disc of discs) expect(greatCircleKm(disc.vantage, placed)).toBeLessThanOrEqual(disc.radiusKm);
    expect(greatCircleKm(placed, AT.kansasCity)).toBeLessThan(250);
    const db = d.placement.claims.find((c) => c.source === 'database');
    expect(db?.status).toBe('refuted');
    expect(db?.refutation?.byProber).toBe(false);
    expect(db?.why).toMatch(/within [\d,]+ km of the (Denver|Dallas|Chicago) agent by its [\d.]+ ms/);
    expect(d.placement.constraints.discs).toBe(3);
  });

  it('constraints do not place a router whose feasible region reaches abroad', () => {
    // Buffalo, 2 ms from a Buffalo agent: the 200 km disc holds Toronto and Hamilton.
    const d = decide(evidence(gazetteer, { database: null, discs: [rtt(agent(AT.buffalo, 'Buffalo'), 2)] }));
    expect(d.placement.source).toBe('database');
    expect(d.location).toBeNull();
  });

  it("an operator's correction wins when the RTTs allow it, and is refused with the numbers when not", () => {
    const discs = [rtt(prober(AT.denver), 12)];
    const ok = decide(
      evidence(gazetteer, {
        database: dbCity(AT.monterrey, 'MX', 'Monterrey'),
        discs,
        correction: { ...AT.dallas, country: 'US', city: 'Dallas', note: 'our Dallas PoP' },
      }),
    );
    expect(ok.placement.source).toBe('operator');
    expect(ok.location).toMatchObject({ source: 'operator', country: 'US' });
    const refused = decide(
      evidence(gazetteer, {
        database: dbCity(AT.dallas, 'US', 'Dallas'),
        discs,
        correction: { ...AT.frankfurt, country: 'DE', city: 'Frankfurt', note: 'wrong' },
      }),
    );
    expect(refused.placement.source).toBe('database');
    const claim = refused.placement.claims.find((c) => c.source === 'operator');
    expect(claim?.status).toBe('refuted');
    expect(claim?.refutation?.maxKm).toBeCloseTo(1200, 6);
  });
});
