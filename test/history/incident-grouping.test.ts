import { describe, expect, it } from 'vitest';
import { destinationPrefix } from '../../protocol/address/prefix.ts';
import { samePath, updateBaseline } from '../../server/incidents/baseline.ts';
import { clearedAt, isOver, joins, newIncident, withTrace } from '../../server/incidents/grouping.ts';
import { incidentKey, vantageSubject } from '../../server/incidents/incident-key.ts';
import type { Incident } from '../../server/incidents/types.ts';
import { detourObservation, domesticObservation } from './observation.ts';

const HOUR = 3_600_000;
const T0 = Date.parse('2024-05-01T00:00:00Z');

describe('destination prefixes', () => {
  it.each([
    ['203.0.113.77', '203.0.113.0/24'],
    ['8.8.8.8', '8.8.8.0/24'],
    ['2001:db8:abcd:12::1', '2001:db8:abcd::/48'],
    ['2001:0db8:0000:0001::1', '2001:db8::/48'],
    ['::ffff:192.0.2.9', '192.0.2.0/24'],
    ['fe80::1%eth0', 'fe80::/48'],
  ])('%s is in %s', (ip, prefix) => {
    expect(destinationPrefix(ip)).toBe(prefix);
  });

  it('has no prefix for what is not an address', () => {
    expect(destinationPrefix('example.com')).toBeNull();
    expect(destinationPrefix(null)).toBeNull();
  });
});

describe('incident keys', () => {
  // Grouping is by cause since incidents take witnesses (issue 11): another agent seeing the same detour is a
  // second witness of one incident, no longer an incident of its own.
  it('groups by destination /24 and foreign countries and ASNs in path order, whichever agent saw it', () => {
    const a = incidentKey(detourObservation({ destinationIp: '203.0.113.10' }));
    const b = incidentKey(detourObservation({ destinationIp: '203.0.113.200', traceId: 2 }));
    expect(a?.key).toBe(b?.key);
    expect(a?.destinationPrefix).toBe('203.0.113.0/24');
    const denver = incidentKey(detourObservation({ agentId: 'ag_denver' }));
    expect(denver?.key).toBe(a?.key);
    expect(denver?.subject).toBe('agent:ag_denver');
    const other = [
      detourObservation({ destinationIp: '203.0.114.10' }),
      detourObservation({ foreignCountries: ['HK'] }),
      detourObservation({ foreignAsns: [4809] }),
      detourObservation({ foreignCountries: ['CN', 'HK'], foreignAsns: [4134] }),
    ];
    for (const o of other) expect(incidentKey(o)?.key).not.toBe(a?.key);
    // The same countries and ASNs in another order are another path.
    const ab = incidentKey(detourObservation({ foreignAsns: [4134, 4809] }));
    const ba = incidentKey(detourObservation({ foreignAsns: [4809, 4134] }));
    expect(ab?.key).not.toBe(ba?.key);
  });

  it('has no key for what is not a detour, or a destination without an address', () => {
    expect(incidentKey(domesticObservation())).toBeNull();
    expect(incidentKey(detourObservation({ destinationIp: null }))).toBeNull();
  });

  it('stands in a source region for imports, which have no agent', () => {
    const seattle = vantageSubject({
      agentId: null,
      sourcePosition: { lat: 47.61, lon: -122.33 },
      sourceIp: null,
    });
    const seattleToo = vantageSubject({
      agentId: null,
      sourcePosition: { lat: 47.2, lon: -122.9 },
      sourceIp: null,
    });
    const portland = vantageSubject({
      agentId: null,
      sourcePosition: { lat: 45.5, lon: -122.7 },
      sourceIp: null,
    });
    expect(seattle).toBe(seattleToo);
    expect(seattle).not.toBe(portland);
    expect(vantageSubject({ agentId: null, sourcePosition: null, sourceIp: '192.0.2.44' })).toBe(
      'source:192.0.2.0/24',
    );
    expect(vantageSubject({ agentId: 'x', sourcePosition: { lat: 1, lon: 1 }, sourceIp: null })).toBe(
      'agent:x',
    );
  });
});

describe('grouping detours into incidents', () => {
  const quiet = 6 * HOUR;
  const first = detourObservation({ traceId: 10, startedAt: T0 });
  const key = incidentKey(first);
  if (key === null) throw new Error('the fixture must have a key');
  const open = (): Incident => ({ ...newIncident(key, first, quiet, T0 + HOUR), id: 1 });

  it('opens an incident with its first detour, or records it closed when it is older than the quiet period', () => {
    expect(open()).toMatchObject({
      state: 'open',
      traceCount: 1,
      firstSeen: T0,
      lastSeen: T0,
      closedAt: null,
    });
    const old = newIncident(key, first, quiet, T0 + quiet + 1);
    expect(old.state).toBe('closed');
    expect(old.closedAt).toBe(T0 + quiet);
  });

  it('joins detours within the quiet period of the span, on either side', () => {
    const i = open();
    expect(joins(i, T0 + quiet, quiet)).toBe(true);
    expect(joins(i, T0 + quiet + 1, quiet)).toBe(false);
    expect(joins(i, T0 - quiet, quiet)).toBe(true);
    expect(joins(i, T0 - quiet - 1, quiet)).toBe(false);
  });

  it('widens the span, counts traces and confirmed ones, and keeps the first and last trace', () => {
    const later = withTrace(
      open(),
      detourObservation({ traceId: 11, startedAt: T0 + HOUR, confidence: 'probable' }),
      quiet,
      T0 + HOUR,
    );
    const earlier = withTrace(
      later,
      detourObservation({ traceId: 9, startedAt: T0 - HOUR }),
      quiet,
      T0 + HOUR,
    );
    expect(earlier).toMatchObject({
      firstSeen: T0 - HOUR,
      lastSeen: T0 + HOUR,
      traceCount: 3,
      confirmedCount: 2,
      firstTraceId: 9,
      lastTraceId: 11,
      state: 'open',
    });
  });

  it('is over once the quiet period has passed since the last detour', () => {
    expect(isOver(T0, quiet, T0 + quiet - 1)).toBe(false);
    expect(isOver(T0, quiet, T0 + quiet)).toBe(true);
  });

  it('notes a domestic reading of the same pair after the last detour, and only then', () => {
    const i = open();
    expect(clearedAt(i, domesticObservation({ startedAt: T0 + HOUR }))).toBe(T0 + HOUR);
    expect(clearedAt(i, domesticObservation({ startedAt: T0 - HOUR }))).toBeNull();
    expect(clearedAt(i, detourObservation({ startedAt: T0 + HOUR, verdict: 'inconclusive' }))).toBeNull();
    const cleared = { ...i, lastClearAt: T0 + 2 * HOUR };
    expect(clearedAt(cleared, domesticObservation({ startedAt: T0 + HOUR }))).toBeNull();
    // A new detour after the clear reading makes it stale.
    expect(
      withTrace(cleared, detourObservation({ traceId: 12, startedAt: T0 + 3 * HOUR }), quiet, T0).lastClearAt,
    ).toBeNull();
  });
});

describe('baselines', () => {
  // Issue 14: the normal path is the usual one (the most frequent over a window, baseline-window.test.ts).
  it('keeps the usual path as normal and shows a detour as a change from it', () => {
    const normal = updateBaseline(null, domesticObservation({ traceId: 1, startedAt: T0 }), 's', 't');
    expect(normal.changed).toBe(false);
    expect(normal.normal).toMatchObject({ countries: ['US'], asns: [3356, 7018], since: T0, traces: 1 });
    const again = updateBaseline(normal, domesticObservation({ traceId: 2, startedAt: T0 + HOUR }), 's', 't');
    expect(again.normal).toMatchObject({ since: T0, lastSeen: T0 + HOUR, traces: 2 });
    const detour = updateBaseline(
      again,
      detourObservation({ traceId: 3, startedAt: T0 + 2 * HOUR }),
      's',
      't',
    );
    expect(detour.changed).toBe(true);
    expect(detour.normal).toMatchObject({ asns: again.normal?.asns, traces: 2, of: 3 });
    expect(detour.latest).toMatchObject({ verdict: 'detour', countries: ['US', 'CN', 'US'], traceId: 3 });
  });

  it('sees a new domestic route (other ASNs) as a change from the usual path, which one trace does not replace', () => {
    const a = updateBaseline(null, domesticObservation({ startedAt: T0 }), 's', 't');
    const b = updateBaseline(
      a,
      domesticObservation({ traceId: 2, startedAt: T0 + HOUR, pathAsns: [174, 7018] }),
      's',
      't',
    );
    expect(b.normal).toMatchObject({ asns: [3356, 7018], since: T0, traces: 1, of: 2 });
    expect(b.changed).toBe(true);
  });

  it('never lets an older trace replace a newer reading', () => {
    const now = updateBaseline(null, domesticObservation({ traceId: 5, startedAt: T0 + HOUR }), 's', 't');
    const late = updateBaseline(now, detourObservation({ traceId: 4, startedAt: T0 }), 's', 't');
    expect(late.latest.traceId).toBe(5);
    expect(late.changed).toBe(false);
  });

  it('compares paths by countries, and by ASNs only when both are known', () => {
    expect(samePath({ countries: ['US'], asns: [1] }, { countries: ['US'], asns: null })).toBe(true);
    expect(samePath({ countries: ['US'], asns: [1] }, { countries: ['US'], asns: [2] })).toBe(false);
    expect(samePath({ countries: ['US'], asns: null }, { countries: ['US', 'CA'], asns: null })).toBe(false);
  });
});
