/**
 * placeTrace between the locator and the verdict, on hand-written annotated traces: what the coordinator's
 * stored constraints will feed in (other agents' RTTs to the same router) reaches the verdict as a placement
 * and, for a database claim abroad that they rule out, as a `constraint` refutation.
 */
import { describe, expect, it } from 'vitest';
import { homeFrom } from '../../server/detect/home-countries.ts';
import { decideVerdict } from '../../server/detect/verdict.ts';
import { greatCircleKm } from '../../server/physics/great-circle.ts';
import { packagedGazetteer } from '../../server/placement/dictionaries.ts';
import { placeTrace } from '../../server/placement/place-trace.ts';
import { located, place, reply, scenario } from '../detect/scenario.ts';
import { agent, KM_PER_MS, rtt } from './evidence.ts';
import { AT } from './places.ts';

const home = homeFrom('US').countries;
const settings = { home, kmPerMs: KM_PER_MS };
const options = { homeCountry: 'US', kmPerMs: KM_PER_MS };

/** Denver -> Kansas City router (the database says Toronto) -> Chicago, at RTTs that do not refute Toronto. */
function denverToChicago(name?: string) {
  const hop = reply('198.51.100.7', greatCircleKm(AT.denver, AT.toronto) / KM_PER_MS + 2);
  return scenario({
    method: 'udp',
    source: '192.0.2.5',
    destination: '203.0.113.9',
    position: AT.denver,
    hops: [[reply('192.0.2.1', 0.5)], [name ? { ...hop, name } : hop], [reply('203.0.113.9', 25)]],
    addresses: [
      located('192.0.2.5', place(AT.denver, 'US')),
      located('192.0.2.1', place(AT.denver, 'US')),
      located('198.51.100.7', place(AT.toronto, 'CA', { city: 'Toronto' })),
      located('203.0.113.9', place(AT.chicago, 'US')),
    ],
  });
}

describe('placeTrace', () => {
  it('leaves a trace with nothing beyond the database as it was (the same object)', () => {
    const annotated = denverToChicago();
    expect(placeTrace(annotated, { gazetteer: packagedGazetteer }, settings)).toBe(annotated);
    expect(decideVerdict(annotated, options).verdict).toBe('detour');
  });

  it("other agents' RTTs place the router at home and refute the database's Toronto: domestic", () => {
    const agents = [agent(AT.dallas, 'Dallas'), agent(AT.chicago, 'Chicago'), agent(AT.seattle, 'Seattle')];
    const discs = agents.map((a) => rtt(a, greatCircleKm(a, AT.kansasCity) / KM_PER_MS + 1));
    const placed = placeTrace(
      denverToChicago(),
      { gazetteer: packagedGazetteer, constraintsFor: (ip) => (ip === '198.51.100.7' ? discs : []) },
      settings,
    );
    expect(placed.placements?.['198.51.100.7']?.source).toBe('constraint');
    const v = decideVerdict(placed, options);
    expect(v.verdict).toBe('domestic');
    const hop = v.hops.find((h) => h.ttl === 2);
    expect(hop).toMatchObject({ status: 'home', country: 'US' });
    expect(hop?.placement?.source).toBe('constraint');
    expect(v.refutedHops).toHaveLength(1);
    expect(v.refutedHops[0]).toMatchObject({
      ip: '198.51.100.7',
      claimedCountry: 'CA',
      reason: 'constraint',
    });
    expect(v.refutedHops[0]?.evidence).toMatch(
      /^within [\d,]+ km of the (Dallas|Chicago|Seattle) agent by its [\d.]+ ms$/,
    );
    expect(v.reason).toMatch(/another vantage point says no/);
  });

  it("a hostname at home over a database claim abroad that the prober's own RTT refutes keeps the refutation as evidence", () => {
    const annotated = scenario({
      source: '192.0.2.5',
      destination: '203.0.113.9',
      position: AT.dallas,
      hops: [
        [{ ...reply('198.51.100.7', 1), name: 'xe-1-0.dfw02.example-ct.net' }],
        [reply('203.0.113.9', 3)],
      ],
      addresses: [
        located('192.0.2.5', place(AT.dallas, 'US')),
        located('198.51.100.7', place({ lat: 31.2304, lon: 121.4737 }, 'CN', { city: 'Shanghai' })),
        located('203.0.113.9', place(AT.dallas, 'US')),
      ],
    });
    const v = decideVerdict(placeTrace(annotated, { gazetteer: packagedGazetteer }, settings), options);
    expect(v.verdict).toBe('domestic');
    expect(v.hops[0]).toMatchObject({
      status: 'home',
      country: 'US',
      placement: { source: 'hostname', rule: 'iata', token: 'dfw' },
    });
    expect(v.refutedHops.map((r) => [r.ip, r.claimedCountry, r.reason, r.rttMs])).toEqual([
      ['198.51.100.7', 'CN', 'own-rtt', 1],
    ]);
  });
});
