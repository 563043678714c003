import { describe, expect, it } from 'vitest';
import { DetourwatchError } from '../../protocol/errors.ts';
import type { Reply } from '../../protocol/trace.ts';
import { COUNTRY_LEVEL_RADIUS_KM } from '../../server/detect/claim-radius.ts';
import { decideVerdict } from '../../server/detect/verdict.ts';
import { greatCircleKm } from '../../server/physics/great-circle.ts';
import { maxDistanceKm, minRttForDistance } from '../../server/physics/rtt-bound.ts';
import { CITY, located, place, reply, STAR, scenario, special } from './scenario.ts';

const US = { homeCountry: 'US', kmPerMs: 100 };
const d = greatCircleKm;

// Accuracy radii used below (km): the hand-written claims state them, the bounds subtract them.
const R_CN = 50;
const R_CITY = 20;

/** LA -> Hangzhou (China Telecom) -> Washington DC, the Verizon/AS4134 pattern. */
function boomerang(dcRttMs: number, ashburnRttMs: number | null) {
  const hops: Reply[][] = [
    [reply('192.168.1.1', 0.6)],
    [reply('71.100.1.1', 2.1), reply('71.100.1.1', 1.9)],
    [reply('4.68.110.1', 3.0)],
    [reply('202.97.50.1', 112), reply('202.97.50.1', 115)],
    [reply('202.97.51.2', 118)],
    [STAR, STAR, STAR],
  ];
  if (ashburnRttMs !== null) hops.push([reply('4.69.200.1', ashburnRttMs)]);
  hops.push([reply('152.63.1.9', dcRttMs)]);
  return scenario({
    source: '192.168.1.20',
    destination: '152.63.1.9',
    position: CITY.losAngeles,
    hops,
    addresses: [
      special('192.168.1.1', 'private'),
      located('71.100.1.1', place(CITY.losAngeles, 'US'), 701, 'UUNET'),
      located('4.68.110.1', place(CITY.losAngeles, 'US'), 3356, 'LEVEL3'),
      located('202.97.50.1', place(CITY.hangzhou, 'CN', { accuracyKm: R_CN }), 4134, 'CHINANET-BACKBONE'),
      located('202.97.51.2', place(CITY.hangzhou, 'CN', { accuracyKm: R_CN }), 4134, 'CHINANET-BACKBONE'),
      located('4.69.200.1', place(CITY.ashburn, 'US', { accuracyKm: 50 }), 3356, 'LEVEL3'),
      located('152.63.1.9', place(CITY.washington, 'US'), 701, 'UUNET'),
    ],
  });
}

// The RTTs DC must show: confirmation assumes the reply retraces LA -> Hangzhou -> DC; refutation assumes
// nothing about the way back (DC -> LA directly), so it needs only about half the loop.
const viaHangzhouKm =
  d(CITY.losAngeles, CITY.hangzhou) - R_CN + (d(CITY.hangzhou, CITY.washington) - R_CN - R_CITY);
const confirmDcMs = minRttForDistance(viaHangzhouKm);
const outKm = d(CITY.losAngeles, CITY.hangzhou) - R_CN;
const refuteDcMs = minRttForDistance(
  (outKm +
    (d(CITY.hangzhou, CITY.washington) - R_CN - R_CITY) +
    (d(CITY.washington, CITY.losAngeles) - R_CITY)) /
    2,
);

describe('decideVerdict: (1) a confirmed boomerang through China Telecom', () => {
  it('the scenario is built on the right side of both bounds', () => {
    expect(confirmDcMs).toBeGreaterThan(220);
    expect(confirmDcMs).toBeLessThan(235);
    expect(refuteDcMs).toBeLessThan(150);
    expect(refuteDcMs).toBeGreaterThan(120);
  });

  const v = decideVerdict(boomerang(235, 231), US);

  it('is a confirmed detour through CN and AS4134', () => {
    expect(v.verdict).toBe('detour');
    expect(v.confidence).toBe('confirmed');
    expect(v.countries).toEqual(['US', 'CN']);
    expect(v.foreignAsns).toEqual([4134]);
    expect(v.refutedHops).toEqual([]);
    expect(v.source).toEqual({ ip: '192.168.1.20', country: 'US' });
    expect(v.destination).toEqual({ ip: '152.63.1.9', country: 'US' });
  });

  it('carries each foreign hop with its evidence', () => {
    expect(v.foreignHops.map((h) => [h.ttl, h.ip, h.country, h.asn, h.org, h.confirmed])).toEqual([
      [4, '202.97.50.1', 'CN', 4134, 'CHINANET-BACKBONE', true],
      [5, '202.97.51.2', 'CN', 4134, 'CHINANET-BACKBONE', true],
    ]);
    const first = v.foreignHops[0];
    expect(first?.rttMs).toBe(112);
    expect(first?.minRttMs).toBeCloseTo(minRttForDistance(d(CITY.losAngeles, CITY.hangzhou) - R_CN), 6);
    expect(first?.minRttMs).toBeLessThan(112);
  });

  it('computes the extra distance of going through Hangzhou', () => {
    const expected =
      d(CITY.losAngeles, CITY.hangzhou) +
      d(CITY.hangzhou, CITY.washington) -
      d(CITY.losAngeles, CITY.washington);
    expect(v.extraKm).toBeCloseTo(expected, 3);
  });

  it('fills the hop table, one reading per TTL', () => {
    expect(v.hops.map((h) => h.status)).toEqual([
      'special',
      'home',
      'home',
      'foreign-confirmed',
      'foreign-confirmed',
      'no-reply',
      'home',
      'home',
    ]);
    expect(v.hops[1]?.rttMs).toBe(1.9);
    expect(v.reason).toContain('202.97.50.1');
  });
});

describe('decideVerdict: (4) probable and refuted variants of the boomerang', () => {
  it('a DC reply between the refutation and confirmation bounds leaves the detour probable', () => {
    const v = decideVerdict(boomerang(150, null), US);
    expect(v.verdict).toBe('detour');
    expect(v.confidence).toBe('probable');
    expect(v.foreignHops.every((h) => !h.confirmed)).toBe(true);
    expect(v.hops[3]?.status).toBe('foreign-probable');
    expect(v.reason).toContain('do not prove');
  });

  it('one later home hop that is not inflated enough stops the confirmation', () => {
    const v = decideVerdict(boomerang(240, 180), US);
    expect(v.confidence).toBe('probable');
  });

  it('no later replies at all: probable', () => {
    const trace = boomerang(235, null);
    trace.trace.hops = trace.trace.hops.slice(0, 5);
    const v = decideVerdict(trace, US);
    expect(v.verdict).toBe('detour');
    expect(v.confidence).toBe('probable');
  });

  it('a DC reply faster than any path through Hangzhou refutes both claims by later reply', () => {
    const v = decideVerdict(boomerang(refuteDcMs - 2, null), US);
    expect(v.verdict).toBe('domestic');
    expect(v.refutedHops.map((h) => [h.ttl, h.reason, h.refutedByTtl])).toEqual([
      [4, 'later-reply', 7],
      [5, 'later-reply', 7],
    ]);
    expect(v.countries).toEqual(['US']);
  });

  it('km per ms changes the bounds: slightly slower light leaves 235 ms at DC short of confirming', () => {
    const kmPerMs = 95;
    expect(maxDistanceKm(112, kmPerMs)).toBeGreaterThan(outKm);
    expect(maxDistanceKm(235, kmPerMs)).toBeLessThan(viaHangzhouKm);
    const v = decideVerdict(boomerang(235, 231), { homeCountry: 'US', kmPerMs });
    expect(v.verdict).toBe('detour');
    expect(v.confidence).toBe('probable');
    expect(v.foreignHops[0]?.minRttMs).toBeCloseTo(minRttForDistance(outKm, kmPerMs), 6);
  });

  it('km per ms changes the bounds: at half the speed 112 ms cannot reach Hangzhou', () => {
    expect(maxDistanceKm(118, 50)).toBeLessThan(outKm);
    const v = decideVerdict(boomerang(235, 231), { homeCountry: 'US', kmPerMs: 50 });
    expect(v.verdict).toBe('domestic');
    expect(v.refutedHops.map((h) => h.reason)).toEqual(['own-rtt', 'own-rtt']);
  });
});

describe('decideVerdict: (2) a Chinese carrier US point of presence placed in China', () => {
  function sanJosePop(method: 'icmp' | 'icmp-paris', popRttMs: number) {
    return scenario({
      method,
      source: '10.0.0.5',
      destination: '34.102.1.1',
      position: CITY.sanJose,
      hops: [
        [reply('10.0.0.1', 0.4)],
        [reply('63.218.1.1', 1.0)],
        [reply('218.30.53.1', popRttMs), reply('218.30.53.1', popRttMs + 0.3)],
        [reply('63.218.2.2', 9)],
        [reply('34.102.1.1', 9.5)],
      ],
      addresses: [
        special('10.0.0.1', 'private'),
        located('63.218.1.1', place(CITY.sanJose, 'US')),
        located('218.30.53.1', place(CITY.beijing, 'CN', { accuracyKm: 100 }), 4134, 'CHINANET-BACKBONE'),
        located('63.218.2.2', place(CITY.losAngeles, 'US')),
        located('34.102.1.1', place(CITY.losAngeles, 'US')),
      ],
    });
  }

  it('2 ms from San Jose cannot come from Beijing: domestic, the claim kept as refuted by its own RTT', () => {
    const v = decideVerdict(sanJosePop('icmp', 2), US);
    expect(v.verdict).toBe('domestic');
    expect(v.confidence).toBeNull();
    expect(v.foreignHops).toEqual([]);
    expect(v.foreignAsns).toEqual([]);
    expect(v.countries).toEqual(['US']);
    expect(v.refutedHops).toHaveLength(1);
    const refuted = v.refutedHops[0];
    expect(refuted).toMatchObject({
      ttl: 3,
      ip: '218.30.53.1',
      claimedCountry: 'CN',
      reason: 'own-rtt',
      rttMs: 2,
    });
    expect(refuted?.maxKm).toBeCloseTo(maxDistanceKm(2), 9);
    expect(refuted?.claimedKm).toBeCloseTo(d(CITY.sanJose, CITY.beijing) - 100, 6);
    expect(v.hops[2]?.status).toBe('refuted');
    expect(v.extraKm).toBeNull();
    expect(v.reason).toContain('CN');
  });

  it('km per ms is configurable: at 60 ms the claim falls at 100 km/ms and stands at 200 km/ms', () => {
    const bound = d(CITY.sanJose, CITY.beijing) - 100;
    expect(maxDistanceKm(60, 100)).toBeLessThan(bound);
    expect(maxDistanceKm(60, 200)).toBeGreaterThan(bound);
    expect(decideVerdict(sanJosePop('icmp', 60), { homeCountry: 'US', kmPerMs: 100 }).verdict).toBe(
      'domestic',
    );
    const loose = decideVerdict(sanJosePop('icmp', 60), { homeCountry: 'US', kmPerMs: 200 });
    expect(loose.verdict).toBe('detour');
    expect(loose.confidence).toBe('probable');
  });

  it('on a flow-stable trace, the 9 ms replies after it refute even a slow reply from the point of presence', () => {
    const v = decideVerdict(sanJosePop('icmp-paris', 150), US);
    expect(v.verdict).toBe('domestic');
    expect(v.refutedHops[0]).toMatchObject({ reason: 'later-reply', refutedByTtl: 4, rttMs: 9 });
  });
});

describe('decideVerdict: (3) Detroit, a "London" hop at 90 ms, then Chicago at 9 ms', () => {
  function detroit(method: 'icmp-paris' | 'udp', londonReplies: Reply[]) {
    return scenario({
      method,
      source: '192.168.0.2',
      destination: '64.124.0.9',
      position: CITY.detroit,
      hops: [
        [reply('192.168.0.1', 0.5)],
        [reply('68.85.1.1', 1.2)],
        londonReplies,
        [reply('64.124.0.1', 9)],
        [reply('64.124.0.9', 9.5)],
      ],
      addresses: [
        special('192.168.0.1', 'private'),
        located('68.85.1.1', place(CITY.detroit, 'US')),
        located('195.66.224.10', place(CITY.london, 'GB'), 5459, 'LINX'),
        located('68.85.7.7', place(CITY.detroit, 'US')),
        located('64.124.0.1', place(CITY.chicago, 'US')),
        located('64.124.0.9', place(CITY.chicago, 'US')),
      ],
    });
  }

  it('its own 90 ms allows London, so only the later reply can refute it', () => {
    expect(maxDistanceKm(90)).toBeGreaterThan(d(CITY.detroit, CITY.london));
    expect(maxDistanceKm(9)).toBeLessThan(d(CITY.detroit, CITY.london) - R_CITY);
  });

  it('paris: refuted by the later reply, domestic', () => {
    const v = decideVerdict(detroit('icmp-paris', [reply('195.66.224.10', 90)]), US);
    expect(v.verdict).toBe('domestic');
    const refuted = v.refutedHops[0];
    expect(refuted).toMatchObject({
      ttl: 3,
      claimedCountry: 'GB',
      reason: 'later-reply',
      refutedByTtl: 4,
      rttMs: 9,
    });
    expect(refuted?.maxKm).toBeCloseTo(maxDistanceKm(9), 9);
    // Half the shortest loop Detroit -> London -> Chicago -> Detroit is at least the one-way distance.
    expect(refuted?.claimedKm).toBeGreaterThanOrEqual(d(CITY.detroit, CITY.london) - R_CITY);
    expect(v.reason).toContain('hop 4');
  });

  it('classic UDP traceroute: consecutive TTLs may take other paths, so the claim stands as probable', () => {
    const v = decideVerdict(detroit('udp', [reply('195.66.224.10', 90)]), US);
    expect(v.verdict).toBe('detour');
    expect(v.confidence).toBe('probable');
    expect(v.countries).toEqual(['US', 'GB']);
  });

  it('two routers answering at that TTL: the later probe may not have crossed London, no later-reply refutation', () => {
    const v = decideVerdict(detroit('icmp-paris', [reply('195.66.224.10', 90), reply('68.85.7.7', 3)]), US);
    expect(v.verdict).toBe('detour');
    expect(v.confidence).toBe('probable');
    // The hop table shows the telling responder of the two.
    expect(v.hops[2]).toMatchObject({ ip: '195.66.224.10', status: 'foreign-probable', country: 'GB' });
  });
});

describe('decideVerdict: (5) stars and special addresses', () => {
  it('never calls a special address foreign, even if something located it; stars are no-reply', () => {
    const v = decideVerdict(
      scenario({
        source: '100.64.0.2',
        destination: '8.8.4.4',
        position: CITY.sanJose,
        hops: [
          [reply('100.64.0.1', 0.7)],
          [STAR, STAR, STAR],
          [reply('172.16.5.1', 1.5), STAR],
          [reply('63.218.1.1', 2)],
          [STAR],
          [reply('8.8.4.4', 3)],
        ],
        addresses: [
          special('100.64.0.1', 'cgnat'),
          special('172.16.5.1', 'private', place(CITY.shanghai, 'CN')),
          located('63.218.1.1', place(CITY.sanJose, 'US')),
          located('8.8.4.4', place(CITY.sanJose, 'US'), 15169, 'GOOGLE'),
        ],
      }),
      US,
    );
    expect(v.verdict).toBe('domestic');
    expect(v.hops.map((h) => h.status)).toEqual([
      'special',
      'no-reply',
      'special',
      'home',
      'no-reply',
      'home',
    ]);
    expect(v.hops[1]).toMatchObject({ ip: null, rttMs: null, country: null });
    expect(v.foreignHops).toEqual([]);
    expect(v.refutedHops).toEqual([]);
    expect(v.countries).toEqual(['US']);
  });

  it('a reply named but not addressed still answered: unlocated, and its RTT still counts', () => {
    const v = decideVerdict(
      scenario({
        source: '192.168.0.2',
        destination: '64.124.0.9',
        position: CITY.detroit,
        hops: [
          [reply('195.66.224.10', 90)],
          [{ address: null, name: 'core1.chi.example.net', rttMs: 9 }],
          [reply('64.124.0.9', 9.5)],
        ],
        addresses: [
          located('195.66.224.10', place(CITY.london, 'GB')),
          located('64.124.0.9', place(CITY.chicago, 'US')),
        ],
      }),
      US,
    );
    expect(v.hops[1]).toMatchObject({ ip: null, status: 'unlocated', rttMs: 9 });
    expect(v.refutedHops[0]).toMatchObject({ reason: 'later-reply', refutedByTtl: 2 });
  });
});

describe('decideVerdict: (6) an IPv6 path through Frankfurt', () => {
  const v6 = scenario({
    ipVersion: 6,
    source: '2600:1f18:4000::10',
    destination: '2606:4700:10::6816',
    position: CITY.ashburn,
    hops: [
      [reply('fe80::1', 0.3)],
      [reply('2600:803::1', 1.1)],
      [reply('2001:7f8::1a27:5051:c09', 72)],
      [reply('2a02:1668:1::1', 74)],
      [reply('2001:1900:2::3', 140)],
      [reply('2606:4700:10::6816', 141)],
    ],
    addresses: [
      located('2600:1f18:4000::10', place(CITY.ashburn, 'US'), 14618, 'AMAZON-AES'),
      special('fe80::1', 'link-local'),
      located('2600:803::1', place(CITY.ashburn, 'US'), 701, 'UUNET'),
      located('2001:7f8::1a27:5051:c09', place(CITY.frankfurt, 'DE'), 6695, 'DECIX'),
      located('2a02:1668:1::1', place(CITY.frankfurt, 'DE'), 3320, 'DTAG'),
      located('2001:1900:2::3', place(CITY.newYork, 'US'), 3356, 'LEVEL3'),
      located('2606:4700:10::6816', place(CITY.newYork, 'US'), 13335, 'CLOUDFLARENET'),
    ],
  });

  it('is a confirmed detour through DE with both German ASNs in order', () => {
    const need = minRttForDistance(
      d(CITY.ashburn, CITY.frankfurt) - R_CITY + (d(CITY.frankfurt, CITY.newYork) - 2 * R_CITY),
    );
    expect(need).toBeLessThan(140);
    const v = decideVerdict(v6, US);
    expect(v.verdict).toBe('detour');
    expect(v.confidence).toBe('confirmed');
    expect(v.countries).toEqual(['US', 'DE']);
    expect(v.foreignAsns).toEqual([6695, 3320]);
    expect(v.hops[0]?.status).toBe('special');
    expect(v.source.country).toBe('US');
  });
});

describe('decideVerdict: (7) endpoints abroad', () => {
  const toFrankfurt = scenario({
    source: '192.168.1.20',
    destination: '80.81.192.5',
    position: CITY.sanJose,
    hops: [[reply('63.218.1.1', 1)], [reply('80.81.192.5', 160)]],
    addresses: [
      located('63.218.1.1', place(CITY.sanJose, 'US')),
      located('80.81.192.5', place(CITY.frankfurt, 'DE')),
    ],
  });

  it('a destination in DE is a foreign endpoint', () => {
    const v = decideVerdict(toFrankfurt, US);
    expect(v.verdict).toBe('foreign-endpoint');
    expect(v.confidence).toBeNull();
    expect(v.destination).toEqual({ ip: '80.81.192.5', country: 'DE' });
    expect(v.extraKm).toBeNull();
    expect(v.reason).toContain('DE');
  });

  function fromAddress(sourceAt: 'frankfurt' | 'beijing', positionSource: 'declared' | 'city-db') {
    const position = positionSource === 'declared' ? CITY.sanJose : CITY[sourceAt];
    return scenario({
      source: '85.214.1.1',
      destination: '34.102.1.1',
      position,
      positionSource,
      hops: [[reply('63.218.1.1', 1)], [reply('63.218.2.2', 9)], [reply('34.102.1.1', 9.5)]],
      addresses: [
        located('85.214.1.1', place(CITY[sourceAt], sourceAt === 'beijing' ? 'CN' : 'DE')),
        located('63.218.1.1', place(CITY.sanJose, 'US')),
        located('63.218.2.2', place(CITY.losAngeles, 'US')),
        located('34.102.1.1', place(CITY.losAngeles, 'US')),
      ],
    });
  }

  it('a source the database places abroad, with no declared position, is a foreign endpoint', () => {
    const v = decideVerdict(fromAddress('frankfurt', 'city-db'), US);
    expect(v.verdict).toBe('foreign-endpoint');
    expect(v.source.country).toBe('DE');
    expect(v.countries[0]).toBe('DE');
  });

  it('a declared position at home outweighs a database that misplaces the prober address', () => {
    const v = decideVerdict(fromAddress('beijing', 'declared'), US);
    expect(v.source.country).toBe('US');
    expect(v.verdict).toBe('domestic');
  });

  it('a declared position that agrees with a database answer abroad is abroad', () => {
    const trace = fromAddress('frankfurt', 'declared');
    trace.sourcePosition = { ...CITY.frankfurt, source: 'declared' };
    expect(decideVerdict(trace, US).verdict).toBe('foreign-endpoint');
  });
});

describe('decideVerdict: (8) inconclusive', () => {
  const base = {
    source: '192.168.1.20',
    destination: '34.102.1.1',
    position: CITY.sanJose,
    addresses: [
      special('192.168.1.1', 'private'),
      located('63.218.1.1', place(CITY.sanJose, 'US')),
      located('34.102.1.1', place(CITY.losAngeles, 'US')),
    ],
  };

  it('a path that answers only at its first hop', () => {
    const v = decideVerdict(
      scenario({ ...base, hops: [[reply('63.218.1.1', 1)], [STAR], [STAR], [STAR]] }),
      US,
    );
    expect(v.verdict).toBe('inconclusive');
    expect(v.confidence).toBeNull();
    expect(v.reason).toContain('too little answered');
    expect(v.hops.map((h) => h.status)).toEqual(['home', 'no-reply', 'no-reply', 'no-reply']);
  });

  const answered = [[reply('192.168.1.1', 0.5)], [reply('63.218.1.1', 1)], [reply('34.102.1.1', 9)]];

  it('the same path answering to the end is domestic (the control)', () => {
    expect(decideVerdict(scenario({ ...base, hops: answered }), US).verdict).toBe('domestic');
  });

  it('a private source address and no declared position', () => {
    const v = decideVerdict(scenario({ ...base, position: null, hops: answered }), US);
    expect(v.verdict).toBe('inconclusive');
    expect(v.source.country).toBeNull();
    expect(v.reason).toContain('no position was declared');
  });

  it('a source placed at home but no position to measure from', () => {
    const v = decideVerdict(
      scenario({
        ...base,
        source: '63.218.9.9',
        position: null,
        hops: answered,
        addresses: [...base.addresses, located('63.218.9.9', place(CITY.sanJose, 'US'))],
      }),
      US,
    );
    expect(v.verdict).toBe('inconclusive');
    expect(v.source.country).toBe('US');
    expect(v.reason).toContain('no known position');
  });

  it('a destination with no country', () => {
    const v = decideVerdict(
      scenario({ ...base, destination: '10.9.9.9', hops: [...answered, [reply('10.9.9.9', 9.2)]] }),
      US,
    );
    expect(v.verdict).toBe('inconclusive');
    expect(v.destination.country).toBeNull();
    expect(v.reason).toContain('10.9.9.9');
  });

  it('a destination the database places abroad but whose RTT says otherwise', () => {
    const v = decideVerdict(
      scenario({
        ...base,
        destination: '218.30.53.9',
        hops: [...answered, [reply('218.30.53.9', 3)]],
        addresses: [...base.addresses, located('218.30.53.9', place(CITY.beijing, 'CN'))],
      }),
      US,
    );
    expect(v.verdict).toBe('inconclusive');
    expect(v.refutedHops[0]).toMatchObject({ ip: '218.30.53.9', reason: 'own-rtt' });
    expect(v.reason).toContain('refutes');
  });
});

describe('decideVerdict: (9) another home country', () => {
  const frankfurtToBerlin = scenario({
    source: '192.168.2.2',
    destination: '85.214.1.1',
    position: CITY.frankfurt,
    hops: [
      [reply('80.81.192.1', 0.8)],
      [reply('4.69.200.1', 70)],
      [reply('85.214.0.1', 139)],
      [reply('85.214.1.1', 140)],
    ],
    addresses: [
      located('80.81.192.1', place(CITY.frankfurt, 'DE')),
      located('4.69.200.1', place(CITY.ashburn, 'US'), 3356, 'LEVEL3'),
      located('85.214.0.1', place(CITY.berlin, 'DE')),
      located('85.214.1.1', place(CITY.berlin, 'DE')),
    ],
  });

  it('home DE: Frankfurt -> Ashburn -> Berlin is a confirmed detour through the US', () => {
    const v = decideVerdict(frankfurtToBerlin, { homeCountry: 'de', kmPerMs: 100 });
    expect(v.homeCountry).toBe('DE');
    expect(v.verdict).toBe('detour');
    expect(v.confidence).toBe('confirmed');
    expect(v.countries).toEqual(['DE', 'US']);
    expect(v.foreignAsns).toEqual([3356]);
  });

  it('home US: the same trace has both endpoints abroad', () => {
    expect(decideVerdict(frankfurtToBerlin, US).verdict).toBe('foreign-endpoint');
  });

  it('refuses options it cannot use', () => {
    expect(() => decideVerdict(frankfurtToBerlin, { homeCountry: 'Germany', kmPerMs: 100 })).toThrow(
      DetourwatchError,
    );
    expect(() => decideVerdict(frankfurtToBerlin, { homeCountry: 'DE', kmPerMs: 0 })).toThrow(/positive/);
    expect(() => decideVerdict(frankfurtToBerlin, { homeCountry: 'DE', kmPerMs: Number.NaN })).toThrow(
      /positive/,
    );
  });
});

describe('decideVerdict: country-level claims', () => {
  const centroid = { lat: 35, lon: 105 };
  function viaCentroid(precision: 'country' | 'city', rttMs: number) {
    return scenario({
      method: 'icmp',
      source: '192.168.1.20',
      destination: '34.102.1.1',
      position: CITY.sanJose,
      hops: [[reply('63.218.1.1', 1)], [reply('202.97.1.1', rttMs)], [reply('34.102.1.1', 9)]],
      addresses: [
        located('63.218.1.1', place(CITY.sanJose, 'US')),
        located('202.97.1.1', place(centroid, 'CN', { precision, accuracyKm: null }), 4134),
        located('34.102.1.1', place(CITY.losAngeles, 'US')),
      ],
    });
  }

  it('a centroid without a radius may be anywhere in the country: the default radius applies', () => {
    const km = d(CITY.sanJose, centroid);
    // An RTT between the two bounds: impossible for the point, possible for the country around it.
    const rtt = minRttForDistance(km - COUNTRY_LEVEL_RADIUS_KM / 2);
    expect(decideVerdict(viaCentroid('country', rtt), US).verdict).toBe('detour');
    expect(decideVerdict(viaCentroid('city', rtt), US).verdict).toBe('domestic');
    expect(
      decideVerdict(viaCentroid('country', minRttForDistance(km - COUNTRY_LEVEL_RADIUS_KM) - 1), US).verdict,
    ).toBe('domestic');
  });
});

describe('decideVerdict: a foreign hop the RTTs cannot tell from a domestic path', () => {
  const toronto = { lat: 43.6532, lon: -79.3832 };
  // New York -> "Toronto" -> Chicago: the hop adds ~150 km, far less than ordinary routing inflation.
  function viaToronto(chicagoRttMs: number) {
    return scenario({
      source: '192.168.1.20',
      destination: '64.100.1.9',
      position: CITY.newYork,
      hops: [
        [reply('63.1.1.1', 1)],
        [reply('142.1.1.1', minRttForDistance(d(CITY.newYork, toronto)) + 3)],
        [reply('64.100.1.9', chicagoRttMs)],
      ],
      addresses: [
        located('63.1.1.1', place(CITY.newYork, 'US')),
        located('142.1.1.1', place(toronto, 'CA', { accuracyKm: 20 }), 6327, 'SHAW'),
        located('64.100.1.9', place(CITY.chicago, 'US')),
      ],
    });
  }

  it('stays probable even when every RTT agrees with it', () => {
    const through = d(CITY.newYork, toronto) + d(toronto, CITY.chicago);
    const v = decideVerdict(viaToronto(minRttForDistance(through) + 10), US);
    expect(v.verdict).toBe('detour');
    expect(v.confidence).toBe('probable');
    expect(v.foreignHops.map((h) => h.country)).toEqual(['CA']);
  });
});
