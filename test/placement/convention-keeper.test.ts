/**
 * The convention keeper (issue 15, item 2): a bounded window of hostname observations, relearned every N new ones
 * or after a while, with a live view placement reads at call time.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { greatCircleKm, type LatLon } from '../../server/physics/great-circle.ts';
import { createConventionKeeper } from '../../server/placement/convention-keeper.ts';
import { packagedGazetteer } from '../../server/placement/dictionaries.ts';
import type { Gazetteer } from '../../server/placement/gazetteer.ts';
import { type HostnameObservation, learnConventions } from '../../server/placement/learning.ts';
import { agent, KM_PER_MS } from './evidence.ts';
import { AT } from './places.ts';

let gazetteer: Gazetteer;
beforeAll(() => {
  gazetteer = packagedGazetteer();
});

const AGENTS = [
  agent(AT.dallas, 'Dallas'),
  agent(AT.seattle, 'Seattle'),
  agent(AT.atlanta, 'Atlanta'),
  agent(AT.denver, 'Denver'),
  agent(AT.chicago, 'Chicago'),
];

function measured(address: string, hostname: string, at: LatLon): HostnameObservation[] {
  return AGENTS.map((vantage) => ({
    address,
    hostname,
    vantage,
    rttMs: greatCircleKm(vantage, at) / KM_PER_MS + 0.4,
  }));
}

const NAMED = [
  ...measured('198.51.100.1', 'lhr-1.cr1.dfw03.example-bb.net', AT.dallas),
  ...measured('198.51.100.2', 'nrt-7.cr2.sea01.example-bb.net', AT.seattle),
  ...measured('198.51.100.3', 'syd-2.cr1.atl02.example-bb.net', AT.atlanta),
  ...measured('198.51.100.4', 'cdg-4.cr1.den01.example-bb.net', AT.denver),
  ...measured('198.51.100.5', 'hkg-1.cr1.ord04.example-bb.net', AT.chicago),
  ...measured('198.51.100.6', 'xe-1.cr1.dalx01.example-bb.net', AT.dallas),
  ...measured('198.51.100.7', 'xe-2.cr2.dalx01.example-bb.net', AT.dallas),
  ...measured('198.51.100.8', 'xe-3.cr1.dalx02.example-bb.net', AT.dallas),
];

describe('createConventionKeeper', () => {
  it('relearns after N new observations and the live view shows the result', () => {
    const keeper = createConventionKeeper({
      gazetteer: () => gazetteer,
      kmPerMs: KM_PER_MS,
      relearnEvery: NAMED.length,
      now: () => 0,
    });
    const view = keeper.conventions;
    keeper.observe(NAMED.slice(0, NAMED.length - 1));
    expect(keeper.learnings()).toBe(0);
    expect(view.get('example-bb.net')).toBeUndefined();
    keeper.observe(NAMED.slice(NAMED.length - 1));
    expect(keeper.learnings()).toBe(1);
    // The same as learning directly from the same observations.
    const direct = learnConventions(NAMED, gazetteer, { kmPerMs: KM_PER_MS });
    expect(view.get('example-bb.net')).toEqual(direct.get('example-bb.net'));
    expect(view.get('example-bb.net')?.codes.dalx?.place.country).toBe('US');
    expect([...view.keys()]).toEqual([...direct.keys()]);
  });

  it('relearns when time has passed even with few new observations', () => {
    let t = 0;
    const keeper = createConventionKeeper({
      gazetteer: () => gazetteer,
      kmPerMs: KM_PER_MS,
      relearnEvery: 1_000_000,
      relearnAfterMs: 60_000,
      now: () => t,
    });
    keeper.observe(NAMED);
    expect(keeper.learnings()).toBe(0);
    t = 59_999;
    keeper.observe(NAMED.slice(0, 1));
    expect(keeper.learnings()).toBe(0);
    t = 60_000;
    keeper.observe(NAMED.slice(0, 1));
    expect(keeper.learnings()).toBe(1);
    expect(keeper.conventions.has('example-bb.net')).toBe(true);
    t = 10 * 60_000;
    keeper.observe([]);
    expect(keeper.learnings()).toBe(1); // nothing new since: nothing to relearn
  });

  it('keeps only the newest observations within its window', () => {
    const window = 10;
    const keeper = createConventionKeeper({
      gazetteer: () => gazetteer,
      kmPerMs: KM_PER_MS,
      window,
      relearnEvery: 1,
      now: () => 0,
    });
    keeper.observe(NAMED);
    expect(keeper.size()).toBe(window);
    // Only the last 10 observations are kept: the three dalx routers (15 observations) are partly gone, and the
    // learning over the window equals the learning over those 10.
    const direct = learnConventions(NAMED.slice(-window), gazetteer, { kmPerMs: KM_PER_MS });
    expect(keeper.conventions.get('example-bb.net')).toEqual(direct.get('example-bb.net'));
    // More than a full turn of the ring still holds exactly `window`.
    keeper.observe(NAMED);
    keeper.observe(NAMED.slice(0, 3));
    expect(keeper.size()).toBe(window);
  });
});
