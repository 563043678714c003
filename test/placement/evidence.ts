import type { GeoLocation } from '../../protocol/annotated.ts';
import type { LatLon } from '../../server/physics/great-circle.ts';
import { type Disc, discFrom, feasibleRegion, type Vantage } from '../../server/placement/constraints.ts';
import type { OperatorCorrection, PlacementEvidence } from '../../server/placement/decide.ts';
import type { Gazetteer } from '../../server/placement/gazetteer.ts';
import { tokenizeHostname } from '../../server/placement/hostname.ts';
import { readHostname } from '../../server/placement/read-hints.ts';

export const KM_PER_MS = 100;

export function prober(at: LatLon): Vantage {
  return { ...at, label: 'the prober', isProber: true };
}

export function agent(at: LatLon, name: string): Vantage {
  return { ...at, label: `the ${name} agent` };
}

export function rtt(vantage: Vantage, ms: number): Disc {
  return discFrom(vantage, ms, KM_PER_MS);
}

export function dbCity(at: LatLon, country: string, city: string): GeoLocation {
  return {
    country,
    city,
    lat: at.lat,
    lon: at.lon,
    accuracyKm: 20,
    precision: 'city',
    source: 'city-db',
    database: 'test.mmdb',
  };
}

export function dbCountry(at: LatLon, country: string): GeoLocation {
  return {
    country,
    city: null,
    lat: at.lat,
    lon: at.lon,
    accuracyKm: null,
    precision: 'country',
    source: 'city-db',
    database: 'test.mmdb',
  };
}

export function evidence(
  gazetteer: Gazetteer,
  spec: { hostname?: string; database?: GeoLocation | null; discs: Disc[]; correction?: OperatorCorrection },
): PlacementEvidence {
  const tokenized = spec.hostname === undefined ? null : tokenizeHostname(spec.hostname);
  return {
    address: '192.0.2.1',
    hostname: spec.hostname ?? null,
    hints: tokenized === null ? null : readHostname(tokenized, gazetteer),
    database: spec.database ?? null,
    correction: spec.correction ?? null,
    region: feasibleRegion(spec.discs),
  };
}
