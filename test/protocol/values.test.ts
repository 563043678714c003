import { describe, expect, it } from 'vitest';
import { DetourwatchError } from '../../protocol/errors.ts';
import { parseAsn } from '../../protocol/values/asn.ts';
import { parseChoice } from '../../protocol/values/choice.ts';
import { parseCountryCode, parseCountryList } from '../../protocol/values/country.ts';
import { formatDuration, parseDuration, parseDurationIn } from '../../protocol/values/duration.ts';
import { parseInstant } from '../../protocol/values/instant.ts';
import { latLon, parseLatLon } from '../../protocol/values/lat-lon.ts';
import { parseIntIn, parsePositiveNumber } from '../../protocol/values/number.ts';
import { parseVia } from '../../protocol/values/via.ts';
import { SERVE_OPTIONS } from '../../server/config/serve-config.ts';
import { HISTORY_OPTIONS } from '../../server/history/history-options.ts';

/** The message of the USAGE error `fn` throws (every value parser complains this way). */
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DetourwatchError);
    expect((err as DetourwatchError).code).toBe('USAGE');
    return (err as Error).message;
  }
  throw new Error('expected the value to be refused');
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe('durations: a whole number and a unit', () => {
  it.each([
    ['500ms', 500],
    ['90s', 90 * SECOND],
    ['15m', 15 * MINUTE],
    ['2h', 2 * HOUR],
    ['1d', DAY],
    ['2w', 14 * DAY],
    ['0s', 0],
    [' 7d ', 7 * DAY],
  ])('%s is %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    ['90', /has no unit: add one, e.g\. 90s or 90m/],
    ['1.5m', /is not a duration/],
    ['', /is not a duration/],
    ['soon', /is not a duration/],
    ['-5s', /is not a duration/],
    ['5 d', /is not a duration/],
    ['1e3s', /is not a duration/],
    ['15M', /is not a duration/],
    ['999999999999999d', /is not a duration/],
  ])('refuses %j', (text, why) => {
    expect(refusal(() => parseDuration(text))).toMatch(why);
  });

  it('checks bounds, naming them in the same grammar', () => {
    expect(parseDurationIn('1m', { min: MINUTE })).toBe(MINUTE);
    expect(refusal(() => parseDurationIn('59s', { min: MINUTE }))).toBe('"59s" is shorter than 1m');
    expect(refusal(() => parseDurationIn('8d', { min: SECOND, max: 7 * DAY }))).toBe(
      '"8d" is longer than 7d',
    );
  });

  it('formats what it reads back in the largest unit that fits', () => {
    for (const ms of [250, 1500, 30 * SECOND, 90 * SECOND, 15 * MINUTE, HOUR, 36 * HOUR, 7 * DAY]) {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    }
    expect([15 * MINUTE, HOUR, 1500, 30 * SECOND, 2 * DAY, 0].map(formatDuration)).toEqual([
      '15m',
      '1h',
      '1500ms',
      '30s',
      '2d',
      '0ms',
    ]);
  });

  // The two grammars used to disagree: --interval took 90s but not 1d, --incident-quiet the other way round.
  it.each([
    ['--interval', SERVE_OPTIONS.interval.parse, '90s', 90 * SECOND],
    ['--interval', SERVE_OPTIONS.interval.parse, '1d', DAY],
    ['--incident-quiet', HISTORY_OPTIONS['incident-quiet'].parse, '90s', 90 * SECOND],
    ['--incident-quiet', HISTORY_OPTIONS['incident-quiet'].parse, '1d', DAY],
    ['--heartbeat', SERVE_OPTIONS.heartbeat.parse, '90s', 90 * SECOND],
  ])('%s reads %s', (_flag, parse, text, ms) => {
    expect(parse(text)).toBe(ms);
  });
});

describe('LAT,LON', () => {
  it.each([
    ['37.77,-122.42', { lat: 37.77, lon: -122.42 }],
    [' 37.77 , -122.42 ', { lat: 37.77, lon: -122.42 }],
    ['-33.87,151.21', { lat: -33.87, lon: 151.21 }],
    ['90,180', { lat: 90, lon: 180 }],
    ['-90,-180', { lat: -90, lon: -180 }],
    ['0,0', { lat: 0, lon: 0 }],
  ])('reads %j', (text, position) => {
    expect(parseLatLon(text)).toEqual(position);
  });

  it.each([
    ['37.77', /is not LAT,LON/],
    ['37.77,-122.42,5', /is not LAT,LON/],
    ['N37,W122', /is not LAT,LON/],
    ['1e1,2', /is not LAT,LON/],
    ['37.77;-122.42', /is not LAT,LON/],
    [',', /is not LAT,LON/],
    ['91,0', /^latitude 91 is outside -90\.\.90/],
    ['0,181', /^longitude 181 is outside -180\.\.180$/],
    ['-122.42,37.77', /latitude -122\.42 is outside -90\.\.90 \(latitude comes first: LAT,LON\)/],
  ])('refuses %j, naming the problem', (text, why) => {
    expect(refusal(() => parseLatLon(text))).toMatch(why);
  });

  it('checks numbers the same way', () => {
    expect(latLon(47.61, -122.33)).toEqual({ lat: 47.61, lon: -122.33 });
    expect(refusal(() => latLon(Number.NaN, 0))).toMatch(/latitude NaN/);
    expect(refusal(() => latLon(0, Number.POSITIVE_INFINITY))).toMatch(/longitude Infinity/);
  });
});

describe('countries', () => {
  it.each([
    ['US', 'US'],
    ['cn', 'CN'],
    [' de ', 'DE'],
  ])('reads %j as %s', (text, code) => {
    expect(parseCountryCode(text)).toBe(code);
  });

  it.each(['USA', 'U', '', 'C1', 'ÜS', 'U S'])('refuses %j', (text) => {
    expect(refusal(() => parseCountryCode(text))).toMatch(/is not a country code: use ISO 3166-1 alpha-2/);
  });

  it.each([
    ['US', ['US']],
    ['US,PR,GU', ['US', 'PR', 'GU']],
    ['us, pr ,US', ['US', 'PR']],
  ])('reads the list %j', (text, codes) => {
    expect(parseCountryList(text)).toEqual(codes);
  });

  it.each([
    ['', /holds no country/],
    [' , ', /holds no country/],
    ['US,,PR', /has an empty item/],
    ['US,USA', /"USA" is not a country code/],
  ])('refuses the list %j', (text, why) => {
    expect(refusal(() => parseCountryList(text))).toMatch(why);
  });
});

describe('AS numbers', () => {
  it.each([
    ['4134', 4134],
    ['AS4134', 4134],
    ['as4809', 4809],
    ['1', 1],
    ['4294967295', 4_294_967_295],
  ])('reads %j as %i', (text, asn) => {
    expect(parseAsn(text)).toBe(asn);
  });

  it.each(['0', 'AS0', '4294967296', '-1', 'AS', 'AS 4134', '4134.0', '0x10', '1e3', 'ASN4134'])(
    'refuses %j',
    (text) => {
      expect(refusal(() => parseAsn(text))).toMatch(/is not an AS number: use 4134 or AS4134/);
    },
  );

  it('reads --via as a country or an AS', () => {
    expect(parseVia('cn')).toEqual({ country: 'CN' });
    expect(parseVia('AS23764')).toEqual({ asn: 23764 });
    expect(refusal(() => parseVia('AS0'))).toMatch(/is not an AS number/);
    expect(refusal(() => parseVia('China'))).toMatch(/is neither a country code \(CN\) nor an AS number/);
  });
});

describe('numbers and choices', () => {
  it.each([
    ['1', 1, 1000, 1],
    ['1000', 1, 1000, 1000],
    ['0', 0, 65535, 0],
    [' 8080 ', 0, 65535, 8080],
  ])('%j within %i..%i is %i', (text, min, max, n) => {
    expect(parseIntIn(text, min, max)).toBe(n);
  });

  it.each([
    ['0', 1, 1000],
    ['1001', 1, 1000],
    ['-1', 0, 10],
    ['2.5', 1, 10],
    ['ten', 1, 10],
    ['', 1, 10],
    ['1e3', 1, 10_000],
    ['99999999999999999', 1, Number.MAX_SAFE_INTEGER],
  ])('refuses %j outside %i..%i', (text, min, max) => {
    expect(refusal(() => parseIntIn(text, min, max))).toBe(
      `"${text}" is not a whole number from ${min} to ${max}`,
    );
  });

  it('reads positive decimal numbers', () => {
    expect(parsePositiveNumber('66.7')).toBe(66.7);
    expect(parsePositiveNumber('100')).toBe(100);
    for (const bad of ['0', '-5', '', 'fast', '1e2', 'Infinity', '0x10', '.5']) {
      expect(
        refusal(() => parsePositiveNumber(bad)),
        bad,
      ).toMatch(/is not a positive number/);
    }
  });

  it('reads one of a list of words, exactly', () => {
    expect(parseChoice('mtr', ['auto', 'mtr'] as const)).toBe('mtr');
    expect(refusal(() => parseChoice('MTR', ['auto', 'mtr']))).toBe('"MTR" is not one of auto, mtr');
  });
});

describe('instants', () => {
  const NOW = Date.parse('2024-05-10T12:00:00Z');

  it.each([
    ['30m', NOW - 30 * MINUTE],
    ['90s', NOW - 90 * SECOND],
    ['7d', NOW - 7 * DAY],
    ['2w', NOW - 14 * DAY],
    ['2024-05-01', Date.parse('2024-05-01T00:00:00Z')],
    ['2024-05-01T06:30', Date.parse('2024-05-01T06:30:00Z')],
    ['2024-05-01T06:30:00+02:00', Date.parse('2024-05-01T04:30:00Z')],
    ['2024-05-01T06:30:00.123Z', Date.parse('2024-05-01T06:30:00.123Z')],
  ])('reads %j', (text, ms) => {
    expect(parseInstant(text, NOW)).toBe(ms);
  });

  it.each(['yesterday', '7', '7 d', '2024-13-01', '2024-02-30', '2024-05-01 06:30', '-7d', '1e3d'])(
    'refuses %j',
    (text) => {
      expect(refusal(() => parseInstant(text, NOW))).toMatch(/is not a time: use ISO 8601/);
    },
  );
});

describe('messages', () => {
  it('quote what they were given without control characters, and shortened', () => {
    expect(refusal(() => parseCountryCode('\u001b[31mred'))).toMatch(/^"\?\[31mred" is not/);
    expect(refusal(() => parseAsn('9'.repeat(100)))).toMatch(/^"9{37}\.\.\." is not/);
  });
});
