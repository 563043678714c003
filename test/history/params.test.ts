import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, filterFingerprint } from '../../server/history/cursor.ts';
import { readDetourFilter, readIncidentFilter, readPage, readQuery } from '../../server/history/filters.ts';
import { parseAsn, parseCountry, parseInstant, parseTarget } from '../../server/history/param-parsers.ts';
import { ROUTE_PARAMS } from '../../server/history/param-specs.ts';
import { ParameterError } from '../../server/history/parameter-error.ts';

const NOW = Date.parse('2024-05-10T12:00:00Z');

function parameterOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ParameterError) return err.parameter;
    throw err;
  }
  throw new Error('expected a ParameterError');
}

describe('times', () => {
  it.each([
    ['30m', NOW - 30 * 60_000],
    ['90s', NOW - 90_000],
    ['12h', NOW - 12 * 3_600_000],
    ['7d', NOW - 7 * 86_400_000],
    ['2w', NOW - 14 * 86_400_000],
    ['2024-05-01', Date.parse('2024-05-01T00:00:00Z')],
    ['2024-05-01T06:30', Date.parse('2024-05-01T06:30:00Z')],
    ['2024-05-01T06:30:00+02:00', Date.parse('2024-05-01T04:30:00Z')],
    ['2024-05-01T06:30:00.123Z', Date.parse('2024-05-01T06:30:00.123Z')],
  ])('reads %s', (text, ms) => {
    expect(parseInstant('since', text, NOW)).toBe(ms);
  });

  it.each(['yesterday', '7', '7 d', '2024-13-01', '2024-02-30', '2024-05-01 06:30', '-7d', '1e3d'])(
    'refuses %s, naming the parameter',
    (text) => {
      expect(parameterOf(() => parseInstant('until', text, NOW))).toBe('until');
    },
  );

  it('refuses an empty or backwards range', () => {
    expect(parameterOf(() => readDetourFilter({ since: '2024-05-02', until: '2024-05-01' }, NOW))).toBe(
      'until',
    );
    expect(parseInstant('since', '0d', NOW)).toBe(NOW);
  });
});

describe('values', () => {
  it('reads ASNs with or without the AS prefix, within 32 bits', () => {
    expect(parseAsn('asn', 'AS4134')).toBe(4134);
    expect(parseAsn('asn', '4809')).toBe(4809);
    expect(parameterOf(() => parseAsn('asn', '0'))).toBe('asn');
    expect(parameterOf(() => parseAsn('asn', '4294967296'))).toBe('asn');
  });

  it("names the parameter in a value parser's complaint, code BAD_PARAMETER", () => {
    let error: unknown;
    try {
      parseCountry('country', 'China');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ParameterError);
    expect(error).toMatchObject({
      code: 'BAD_PARAMETER',
      parameter: 'country',
      message: 'country: "China" is not a country code: use ISO 3166-1 alpha-2, such as US or CN',
    });
  });

  it('compares targets canonically', () => {
    expect(parseTarget('target', '2001:DB8:0::1')).toBe('2001:db8::1');
    expect(parseTarget('target', 'Example.COM')).toBe('example.com');
    expect(parameterOf(() => parseTarget('target', 'a b'))).toBe('target');
  });

  it('reads incident filters, which need an address for the target', () => {
    expect(readIncidentFilter({ state: 'open', country: 'cn' }, NOW)).toMatchObject({
      state: 'open',
      country: 'CN',
    });
    expect(parameterOf(() => readIncidentFilter({ state: 'ongoing' }, NOW))).toBe('state');
    expect(parameterOf(() => readIncidentFilter({ target: 'example.com' }, NOW))).toBe('target');
  });
});

describe('query strings', () => {
  const specs = ROUTE_PARAMS.detours;

  it('refuses unknown and repeated parameters: a misspelt filter must not widen the query', () => {
    expect(parameterOf(() => readQuery(new URLSearchParams('contry=CN'), specs))).toBe('contry');
    expect(parameterOf(() => readQuery(new URLSearchParams('asn=1&asn=2'), specs))).toBe('asn');
    expect(readQuery(new URLSearchParams('country=CN&limit=5'), specs)).toEqual({
      country: 'CN',
      limit: '5',
    });
  });

  it('bounds the page size', () => {
    expect(readPage({}, NOW).limit).toBe(100);
    expect(readPage({ limit: '1000' }, NOW).limit).toBe(1000);
    for (const bad of ['0', '1001', '-1', '2.5', 'ten'])
      expect(parameterOf(() => readPage({ limit: bad }, NOW))).toBe('limit');
  });
});

describe('cursors', () => {
  const fp = filterFingerprint({ country: 'CN', since: '7d' });

  it('round-trip the last id and the instant relative times were resolved against', () => {
    expect(decodeCursor(encodeCursor({ after: 42, now: NOW }, fp), fp)).toEqual({ after: 42, now: NOW });
  });

  it('keep relative windows fixed across pages', () => {
    const first = readPage({ since: '7d' }, NOW);
    const cursor = encodeCursor({ after: 10, now: first.now }, first.fingerprint);
    const later = readPage({ since: '7d', cursor }, NOW + 3_600_000);
    expect(later.now).toBe(NOW);
    expect(later.after).toBe(10);
  });

  it('do not depend on the order of the parameters', () => {
    expect(filterFingerprint({ a: '1', b: '2' })).toBe(filterFingerprint({ b: '2', a: '1' }));
  });

  it('are refused with other filters, or when forged or damaged', () => {
    const cursor = encodeCursor({ after: 42, now: NOW }, fp);
    expect(() => decodeCursor(cursor, filterFingerprint({ country: 'HK' }))).toThrow(/other filters/);
    const forged = Buffer.from(JSON.stringify({ v: 1, a: -5, n: NOW, f: fp })).toString('base64url');
    for (const bad of [forged, 'not a cursor', cursor.slice(0, -3), 'x'.repeat(300)]) {
      expect(parameterOf(() => decodeCursor(bad, fp))).toBe('cursor');
    }
  });
});
