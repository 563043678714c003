import { describe, expect, it } from 'vitest';
import type { Reply } from '../../protocol/trace.ts';
import { isConfirmed } from '../../server/detect/confirmation.ts';
import { collectHopClaims } from '../../server/detect/hop-claims.ts';
import { refuteByLaterReply, refuteByOwnRtt, refuteClaims } from '../../server/detect/refutation.ts';
import { greatCircleKm } from '../../server/physics/great-circle.ts';
import { maxDistanceKm } from '../../server/physics/rtt-bound.ts';
import { CITY, located, place, reply, scenario } from './scenario.ts';

const R = 20; // every claim below states a 20 km radius
const LONDON_OUT = greatCircleKm(CITY.detroit, CITY.london) - R;

/** Detroit prober; TTL 1 claims London; then whatever follows. */
function fromDetroit(later: Reply[][], extra = [located('64.124.0.1', place(CITY.chicago, 'US'))]) {
  return collectHopClaims(
    scenario({
      source: null,
      destination: null,
      position: CITY.detroit,
      hops: [[reply('195.66.224.10', 90)], ...later],
      addresses: [located('195.66.224.10', place(CITY.london, 'GB')), ...extra],
    }),
    'US',
  );
}

describe('refuteByOwnRtt', () => {
  it('refutes only below the bound', () => {
    const hops = fromDetroit([]);
    const claim = hops[0]?.claims[0];
    if (!claim) throw new Error('no claim');
    expect(refuteByOwnRtt(claim, 100)).toBeNull();
    const fast = { ...claim, rttMs: LONDON_OUT / 100 - 0.1 };
    expect(refuteByOwnRtt(fast, 100)).toMatchObject({ reason: 'own-rtt', claimedKm: LONDON_OUT });
    expect(refuteByOwnRtt({ ...claim, rttMs: null }, 100)).toBeNull();
  });
});

describe('refuteByLaterReply', () => {
  it('with an unlocated later hop it uses only the triangle inequality: half the loop is the one-way distance', () => {
    const hops = fromDetroit([[reply('203.0.113.77', 50)]], []);
    const claim = hops[0]?.claims[0];
    if (!claim) throw new Error('no claim');
    const found = refuteByLaterReply(hops, 0, claim, 100);
    expect(found?.claimedKm).toBeCloseTo(LONDON_OUT, 6);
    expect(found?.maxKm).toBe(maxDistanceKm(50));
    // Just over the one-way distance: possible, whatever the reply's way back.
    expect(
      refuteByLaterReply(fromDetroit([[reply('203.0.113.77', LONDON_OUT / 100 + 0.1)]], []), 0, claim, 100),
    ).toBeNull();
  });

  it('a credible home anchor lengthens the loop: London -> Chicago -> Detroit', () => {
    const hops = fromDetroit([[reply('64.124.0.1', 9)]]);
    const claim = hops[0]?.claims[0];
    if (!claim) throw new Error('no claim');
    const loop =
      LONDON_OUT +
      (greatCircleKm(CITY.london, CITY.chicago) - 2 * R) +
      (greatCircleKm(CITY.chicago, CITY.detroit) - R);
    expect(refuteByLaterReply(hops, 0, claim, 100)?.claimedKm).toBeCloseTo(loop / 2, 6);
  });

  it('a home hop its own RTT contradicts is no anchor', () => {
    // "Los Angeles" answering 5 ms from Detroit is impossible, so its location adds nothing to the loop.
    const hops = fromDetroit(
      [[reply('64.124.9.9', 5)]],
      [located('64.124.9.9', place(CITY.losAngeles, 'US'))],
    );
    const claim = hops[0]?.claims[0];
    if (!claim) throw new Error('no claim');
    expect(refuteByLaterReply(hops, 0, claim, 100)?.claimedKm).toBeCloseTo(LONDON_OUT, 6);
  });

  it('names the first later TTL whose reply refutes', () => {
    const hops = fromDetroit([[reply('64.124.0.1', 70)], [reply('64.124.0.1', 8)], [reply('64.124.0.1', 7)]]);
    const claim = hops[0]?.claims[0];
    if (!claim) throw new Error('no claim');
    expect(refuteByLaterReply(hops, 0, claim, 100)).toMatchObject({ refutedByTtl: 3, rttMs: 8 });
  });
});

describe('refuteClaims', () => {
  it('one impossible observation refutes the address at every TTL, preferring own-RTT evidence', () => {
    const hops = fromDetroit([[reply('64.124.0.1', 9)], [reply('195.66.224.10', 3)]]);
    const refuted = refuteClaims(hops, 100, true);
    expect(refuted.get('195.66.224.10')).toMatchObject({ reason: 'own-rtt', rttMs: 3 });
    expect(refuted.size).toBe(1);
  });

  it('on a non-paris trace only own RTTs refute', () => {
    const hops = fromDetroit([[reply('64.124.0.1', 9)]]);
    expect(refuteClaims(hops, 100, true).get('195.66.224.10')?.reason).toBe('later-reply');
    expect(refuteClaims(hops, 100, false).size).toBe(0);
  });
});

describe('isConfirmed', () => {
  const symmetricKm = LONDON_OUT + (greatCircleKm(CITY.london, CITY.chicago) - 2 * R);

  it('needs every later home anchor inflated by the trip through the claim', () => {
    const above = symmetricKm / 100 + 1;
    const confirmedHops = fromDetroit([[reply('64.124.0.1', above)]]);
    const claim = confirmedHops[0]?.claims[0];
    if (!claim) throw new Error('no claim');
    expect(isConfirmed(confirmedHops, 0, claim, 100, true)).toBe(true);
    expect(isConfirmed(fromDetroit([[reply('64.124.0.1', above - 2)]]), 0, claim, 100, true)).toBe(false);
    expect(isConfirmed(confirmedHops, 0, claim, 100, false)).toBe(false);
  });

  it('needs at least one anchor and the claim own RTT', () => {
    const none = fromDetroit([[reply('203.0.113.77', 200)]], []);
    const claim = none[0]?.claims[0];
    if (!claim) throw new Error('no claim');
    expect(isConfirmed(none, 0, claim, 100, true)).toBe(false);
    const anchored = fromDetroit([[reply('64.124.0.1', 200)]]);
    expect(isConfirmed(anchored, 0, claim, 100, true)).toBe(true);
    expect(isConfirmed(anchored, 0, { ...claim, rttMs: null }, 100, true)).toBe(false);
  });
});
