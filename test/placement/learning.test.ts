/**
 * Per-suffix learning over written observations: routers named by one operator's convention, measured from
 * agents at known positions with RTTs the physics allows (distance / km-per-ms plus queueing).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { greatCircleKm, type LatLon } from '../../server/physics/great-circle.ts';
import { packagedGazetteer } from '../../server/placement/dictionaries.ts';
import type { Gazetteer } from '../../server/placement/gazetteer.ts';
import { tokenizeHostname } from '../../server/placement/hostname.ts';
import { type HostnameObservation, learnConventions } from '../../server/placement/learning.ts';
import { readHostname } from '../../server/placement/read-hints.ts';
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

/** Each agent's observation of a router at `at`: the light-speed RTT plus 0.4 ms. */
function measured(address: string, hostname: string, at: LatLon): HostnameObservation[] {
  return AGENTS.map((vantage) => ({
    address,
    hostname,
    vantage,
    rttMs: greatCircleKm(vantage, at) / KM_PER_MS + 0.4,
  }));
}

describe('learnConventions', () => {
  // The operator puts an airport code in label 0; label 2 holds a circuit id that sometimes spells a far airport.
  const observations = [
    ...measured('198.51.100.1', 'lhr-1.cr1.dfw03.example-bb.net', AT.dallas),
    ...measured('198.51.100.2', 'nrt-7.cr2.sea01.example-bb.net', AT.seattle),
    ...measured('198.51.100.3', 'syd-2.cr1.atl02.example-bb.net', AT.atlanta),
    ...measured('198.51.100.4', 'cdg-4.cr1.den01.example-bb.net', AT.denver),
    ...measured('198.51.100.5', 'hkg-1.cr1.ord04.example-bb.net', AT.chicago),
    // A code no dictionary knows, on three Dallas routers.
    ...measured('198.51.100.6', 'xe-1.cr1.dalx01.example-bb.net', AT.dallas),
    ...measured('198.51.100.7', 'xe-2.cr2.dalx01.example-bb.net', AT.dallas),
    ...measured('198.51.100.8', 'xe-3.cr1.dalx02.example-bb.net', AT.dallas),
  ];

  it('adopts the label the RTTs confirm and rejects the one they refute', () => {
    const conventions = learnConventions(observations, gazetteer, { kmPerMs: KM_PER_MS });
    const c = conventions.get('example-bb.net');
    expect(c?.adopted.map((t) => [t.rule, t.label, t.consistent, t.refuted])).toEqual([['iata', 0, 5, 0]]);
    expect(c?.rejected.find((t) => t.rule === 'iata' && t.label === 2)).toMatchObject({
      consistent: 0,
      refuted: 5,
    });
  });

  it('learns a repeated unknown code where the convention puts places, and reads it afterwards', () => {
    const c = learnConventions(observations, gazetteer, { kmPerMs: KM_PER_MS }).get('example-bb.net');
    const code = c?.codes.dalx;
    expect(code?.addresses).toBe(3);
    expect(greatCircleKm(code?.place ?? AT.seattle, AT.dallas)).toBeLessThan(100);
    const t = tokenizeHostname('xe-9.cr3.dalx07.example-bb.net');
    if (t === null || c === undefined) throw new Error('setup');
    const hints = readHostname(t, gazetteer, c);
    expect(hints.readings.map((r) => [r.rule, r.token])).toEqual([['learned-code', 'dalx']]);
    // The circuit-id label no longer reads as London under the learned convention.
    const decoy = readHostname(tokenizeHostname('lhr-3.cr1.dfw09.example-bb.net') ?? t, gazetteer, c);
    expect(decoy.readings.map((r) => r.token)).toEqual(['dfw']);
    expect(decoy.dropped.map((d) => d.reading.token)).toEqual(['lhr']);
  });

  it('adopts nothing from too few or uninformative readings', () => {
    const few = learnConventions(observations.slice(0, 10), gazetteer, { kmPerMs: KM_PER_MS });
    expect(few.get('example-bb.net')).toBeUndefined();
    const slow = observations.map((o) => ({ ...o, rttMs: o.rttMs + 200 }));
    expect(learnConventions(slow, gazetteer, { kmPerMs: KM_PER_MS }).size).toBe(0);
  });
});
