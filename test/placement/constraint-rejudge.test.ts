/**
 * Issue 15, item 6, pure: whether new stored constraints move an address's placement decision enough to judge
 * its verdicts again (a new source, country or place, or a claim newly refuted), and the change record's place.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { homeFrom } from '../../server/detect/home-countries.ts';
import { greatCircleKm } from '../../server/physics/great-circle.ts';
import { decideWithDiscs, decisionPlace, placementMoved } from '../../server/placement/constraint-rejudge.ts';
import { packagedGazetteer } from '../../server/placement/dictionaries.ts';
import type { Gazetteer } from '../../server/placement/gazetteer.ts';
import { agent, dbCity, KM_PER_MS, rtt } from './evidence.ts';
import { AT } from './places.ts';

let gazetteer: Gazetteer;
beforeAll(() => {
  gazetteer = packagedGazetteer();
});
const US = homeFrom('US').countries;
const FRANKFURT_DB = dbCity(AT.frankfurt, 'DE', 'Frankfurt');
const DALLAS_DB = dbCity(AT.dallas, 'US', 'Dallas');
const decide = (database: typeof DALLAS_DB, discs: Parameters<typeof decideWithDiscs>[2]) =>
  decideWithDiscs({ address: '192.0.2.1', hostname: null, database }, null, discs, () => gazetteer, US);

describe('placementMoved', () => {
  it('a database claim abroad that a verified agent now refutes, placing the router at home: moved', () => {
    const before = decide(FRANKFURT_DB, []);
    const after = decide(FRANKFURT_DB, [rtt(agent(AT.atlanta, 'atl-1'), 2)]);
    expect(before.placement.source).toBe('database');
    expect(after.placement.source).toBe('constraint');
    expect(placementMoved(before, after)).toBe(true);
    const place = decisionPlace(after);
    expect(place?.country).toBe('US');
    // Inside the Atlanta agent's disc.
    expect(greatCircleKm(AT.atlanta, place ?? AT.frankfurt)).toBeLessThanOrEqual(2 * KM_PER_MS);
    expect(decisionPlace(before)?.country).toBe('DE');
  });

  it('a database city the new disc allows: the same decision, not moved', () => {
    const before = decide(DALLAS_DB, []);
    const ms = greatCircleKm(AT.denver, AT.dallas) / KM_PER_MS + 5;
    const after = decide(DALLAS_DB, [rtt(agent(AT.denver, 'den-1'), ms)]);
    expect(after.placement.source).toBe('database');
    expect(placementMoved(before, after)).toBe(false);
  });

  it('a database claim newly refuted while nothing better survives: moved, though the location stays', () => {
    // From Singapore at 5 ms, Frankfurt is out and the region is not at home: no constraint placement.
    const before = decide(FRANKFURT_DB, []);
    const after = decide(FRANKFURT_DB, [rtt(agent(AT.singapore, 'sg-1'), 5)]);
    expect(after.placement.source).toBe('database');
    expect(after.location).toEqual(before.location);
    expect(after.placement.claims.find((c) => c.source === 'database')?.status).toBe('refuted');
    expect(placementMoved(before, after)).toBe(true);
  });

  it('the same decision made twice: not moved', () => {
    const discs = [rtt(agent(AT.atlanta, 'atl-1'), 2)];
    expect(placementMoved(decide(FRANKFURT_DB, discs), decide(FRANKFURT_DB, discs))).toBe(false);
  });
});
