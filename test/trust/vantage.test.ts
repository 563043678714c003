/** The vantage checks' pure decision: what the evidence says of an agent's claimed location. */
import { describe, expect, it } from 'vitest';
import { greatCircleKm } from '../../server/physics/great-circle.ts';
import type { VantageSample } from '../../server/store/vantage-store.ts';
import {
  DATABASE_RADIUS_KM,
  distrustOfOwnTraces,
  evaluateVantage,
  IMPLAUSIBLE_MIN,
  IMPLAUSIBLE_SHARE,
  type PeerView,
  VERIFY_RADIUS_KM,
} from '../../server/trust/vantage.ts';

const LA = { lat: 34.05, lon: -118.24 };
const NY = { lat: 40.71, lon: -74.01 };
const NOW = Date.parse('2024-05-01T00:00:00Z');

const agent = (location: { lat: number; lon: number } | null) => ({
  id: 'ag_x',
  name: 'x-1',
  tokenId: 4,
  owner: null,
  location,
  address: '198.51.100.77',
});

const mesh = (peer: string, rttMs: number): VantageSample => ({
  agentId: 'ag_x',
  kind: 'mesh',
  subject: peer,
  rttMs,
  lat: null,
  lon: null,
  asn: null,
  city: null,
  at: NOW,
});

const firstHop = (at: { lat: number; lon: number }, rttMs: number): VantageSample => ({
  agentId: 'ag_x',
  kind: 'first-hop',
  subject: '192.0.2.1',
  rttMs,
  lat: at.lat,
  lon: at.lon,
  asn: 64500,
  city: 'Somewhere',
  at: NOW,
});

const laPeer = (status: PeerView['status']): Map<string, PeerView> =>
  new Map([['ag_la', { name: 'la-1', location: LA, status, radiusKm: 0 }]]);

const CLEAN = { traces: 40, implausible: 0 };

function evaluate(
  claim: { lat: number; lon: number } | null,
  samples: VantageSample[],
  peers: Map<string, PeerView> = new Map(),
  traces = CLEAN,
) {
  return evaluateVantage({
    agent: agent(claim),
    samples,
    peers,
    override: null,
    traces,
    kmPerMs: 100,
    now: NOW,
  });
}

/** A mesh reading the peer took of this agent (not the agent's own). */
const meshOfIt = (peer: string, rttMs: number): VantageSample => ({
  ...mesh(peer, rttMs),
  agentId: peer,
  subject: 'ag_x',
});

describe('vantage status', () => {
  it('contradicts a New York claim 0.8 ms from a verified Los Angeles agent, with the numbers', () => {
    const r = evaluate(NY, [mesh('ag_la', 0.8)], laPeer('verified'));
    expect(r.status).toBe('contradicted');
    expect(r.location.reason).toContain(
      '0.8 ms from verified agent la-1 puts it within 80 km of 34.05,-118.24',
    );
    const distance = Math.round(greatCircleKm(NY, LA)).toLocaleString('en-US');
    expect(r.location.reason).toContain(`${distance} km from the claim`);
    expect(r.location.evidence[0]).toMatchObject({
      kind: 'mesh',
      consistent: false,
      counted: true,
      boundKm: 80,
    });
  });

  it('verifies a Los Angeles claim by the same reading', () => {
    const r = evaluate({ lat: 34.1, lon: -118.3 }, [mesh('ag_la', 0.8)], laPeer('verified'));
    expect(r.status).toBe('verified');
    expect(r.location.radiusKm).toBe(80);
  });

  it('ignores the mesh to an agent that is not verified itself', () => {
    const r = evaluate(NY, [mesh('ag_la', 0.8)], laPeer('unverified'));
    expect(r.status).toBe('unverified');
    expect(r.location.evidence[0]).toMatchObject({ counted: false });
  });

  it.each([
    ['a close first hop where it claims', LA, 0.5, 'verified'],
    ['a far first hop: a huge disc proves nothing', LA, 60, 'unverified'],
    [
      'a first hop the databases put across the country: never contradicted by databases',
      NY,
      0.5,
      'unverified',
    ],
  ] as const)('%s', (_name, claim, rtt, status) => {
    expect(evaluate(claim, [firstHop(LA, rtt)]).status).toBe(status);
  });

  it('widens a database disc by its uncertainty and only tight discs verify', () => {
    // 150 km from the hop, 0.6 ms: 60 km of light plus the database's 100 km covers it.
    const near = { lat: LA.lat + 150 / 111.2, lon: LA.lon };
    expect(greatCircleKm(near, LA)).toBeLessThan(0.6 * 100 + DATABASE_RADIUS_KM);
    expect(evaluate(near, [firstHop(LA, 0.6)]).status).toBe('verified');
    expect(evaluate(LA, [firstHop(LA, (VERIFY_RADIUS_KM - DATABASE_RADIUS_KM) / 100 + 0.1)]).status).toBe(
      'unverified',
    );
  });

  it('is unverified without a claim or evidence, and an override verifies with who and why', () => {
    expect(evaluate(null, []).status).toBe('unverified');
    expect(evaluate(LA, []).status).toBe('unverified');
    const r = evaluateVantage({
      agent: agent(NY),
      samples: [mesh('ag_la', 0.8)],
      peers: laPeer('verified'),
      override: { by: 'operator alice', note: 'checked by phone', at: NOW },
      traces: CLEAN,
      kmPerMs: 100,
      now: NOW,
    });
    expect(r.status).toBe('verified');
    expect(r.location.override).toEqual({
      by: 'operator alice',
      note: 'checked by phone',
      at: new Date(NOW).toISOString(),
    });
    expect(r.location.reason).toContain('the evidence says: contradicted');
  });

  it('gives the witness facts: the owner (else the token), the /24, the access network', () => {
    const r = evaluate(LA, [firstHop(LA, 0.5)]);
    expect(r).toMatchObject({
      owner: 'token:4',
      addressPrefix: '198.51.100.0/24',
      asn: 64500,
      city: 'Somewhere',
    });
    expect(evaluate(LA, [firstHop(LA, 30)]).asn).toBeNull();
  });

  // Issue 19: the implausible traces an agent sent make its own readings unable to verify it.
  const min = IMPLAUSIBLE_MIN;
  const shareOf = (traces: number) => Math.ceil(IMPLAUSIBLE_SHARE * traces);
  it.each([
    { case: 'none implausible', traces: 40, implausible: 0, distrusted: false },
    {
      case: 'one short of the minimum, a high share',
      traces: min - 1,
      implausible: min - 1,
      distrusted: false,
    },
    { case: 'the minimum, below the share', traces: 1000, implausible: min, distrusted: false },
    { case: 'the minimum at the share', traces: min / IMPLAUSIBLE_SHARE, implausible: min, distrusted: true },
    { case: 'many, just under the share', traces: 200, implausible: shareOf(200) - 1, distrusted: false },
    { case: 'many, at the share', traces: 200, implausible: shareOf(200), distrusted: true },
    { case: 'all implausible', traces: 12, implausible: 12, distrusted: true },
  ])('own-trace evidence with $case ($implausible of $traces)', ({ traces, implausible, distrusted }) => {
    const counts = { traces, implausible };
    const reason = distrustOfOwnTraces(counts);
    expect(reason !== null).toBe(distrusted);
    // The same tight first hop that verifies a clean agent.
    const r = evaluate(LA, [firstHop(LA, 0.5)], new Map(), counts);
    expect(r.status).toBe(distrusted ? 'unverified' : 'verified');
    const label = r.location.evidence[0]?.label ?? '';
    if (distrusted) {
      expect(r.location.reason).toContain(`${implausible} of its ${traces} recent traces are implausible`);
      expect(label).toContain('cannot verify');
      expect(label).toContain(`${implausible} of its ${traces}`);
    } else {
      expect(label).not.toContain('cannot verify');
    }
  });

  it('with its own traces distrusted, what a verified agent measured of it still verifies, and its own still contradict', () => {
    const bad = { traces: 10, implausible: 10 };
    const peers = laPeer('verified');
    // Its own mesh reading of the LA peer cannot verify it...
    expect(evaluate(LA, [mesh('ag_la', 0.5)], peers, bad).status).toBe('unverified');
    // ...the peer's reading of it can, and is not marked.
    const byPeer = evaluate(LA, [meshOfIt('ag_la', 0.5)], peers, bad);
    expect(byPeer.status).toBe('verified');
    expect(byPeer.location.evidence[0]?.label).not.toContain('cannot verify');
    // A physics disc it measured that excludes the claim still contradicts.
    expect(evaluate(NY, [mesh('ag_la', 0.8)], peers, bad).status).toBe('contradicted');
  });
});
