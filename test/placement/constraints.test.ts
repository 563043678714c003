import { beforeAll, describe, expect, it } from 'vitest';
import { homeFrom } from '../../server/detect/home-countries.ts';
import { greatCircleKm } from '../../server/physics/great-circle.ts';
import {
  describeViolation,
  feasibleRegion,
  homeTest,
  isFeasible,
  violation,
} from '../../server/placement/constraints.ts';
import { packagedGazetteer } from '../../server/placement/dictionaries.ts';
import type { Gazetteer } from '../../server/placement/gazetteer.ts';
import { agent, rtt } from './evidence.ts';
import { AT } from './places.ts';

let gazetteer: Gazetteer;
beforeAll(() => {
  gazetteer = packagedGazetteer();
});

describe('feasible region', () => {
  const seattle = agent(AT.seattle, 'Seattle');

  it('keeps each vantage its lowest RTT and names the tightest disc', () => {
    const region = feasibleRegion([rtt(seattle, 9), rtt(seattle, 3.1), rtt(agent(AT.dallas, 'Dallas'), 30)]);
    expect(region.discs).toHaveLength(2);
    expect(region.tightest?.vantage.label).toBe('the Seattle agent');
    expect(region.tightest?.radiusKm).toBeCloseTo(310, 6);
  });

  it('refutes a claim outside a disc with the evidence in words', () => {
    const region = feasibleRegion([rtt(seattle, 3.1), rtt(agent(AT.dallas, 'Dallas'), 40)]);
    expect(isFeasible(region, AT.seattle, 0)).toBe(true);
    const v = violation(region, AT.denver, 20);
    expect(v?.disc.vantage.label).toBe('the Seattle agent');
    expect(v?.claimedKm).toBeCloseTo(greatCircleKm(AT.seattle, AT.denver) - 20, 6);
    expect(describeViolation(v ?? { disc: region.discs[0] as never, claimedKm: 0 })).toMatch(
      /^within 310 km of the Seattle agent by its 3.1 ms; the claim is at least 1,6\d\d km from it$/,
    );
  });

  it('a region near a border is not at home; one well inside is, by the cities it holds', () => {
    const home = homeFrom('US').countries;
    const nearBorder = homeTest(feasibleRegion([rtt(agent(AT.buffalo, 'Buffalo'), 2)]), gazetteer, home);
    expect(nearBorder?.atHome).toBe(false);
    expect(nearBorder?.abroad?.country).toBe('CA');
    const inland = homeTest(feasibleRegion([rtt(agent(AT.kansasCity, 'Kansas City'), 2)]), gazetteer, home);
    expect(inland?.atHome).toBe(true);
    expect(inland?.places).toBeGreaterThan(10);
    for (const p of inland?.feasible ?? []) expect(greatCircleKm(p, AT.kansasCity)).toBeLessThanOrEqual(200);
  });

  it('San Juan is at home with the United States, not with a home of US alone', () => {
    const region = feasibleRegion([rtt(agent(AT.sanJuan, 'San Juan'), 0.5)]);
    expect(homeTest(region, gazetteer, homeFrom('US').countries)?.atHome).toBe(true);
    expect(homeTest(region, gazetteer, new Set(['US']))?.atHome).toBe(false);
  });
});
