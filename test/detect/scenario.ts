/**
 * Builders for annotated traces written by hand: the verdict is a pure function, so its tests state the
 * databases' answers directly instead of opening databases.
 */
import type {
  AddressClass,
  AddressInfo,
  AnnotatedTrace,
  GeoLocation,
  LocationPrecision,
} from '../../protocol/annotated.ts';
import type { Hop, IpVersion, ProbeMethod, Reply } from '../../protocol/trace.ts';
import type { LatLon } from '../../server/physics/great-circle.ts';

export { CITY } from '../physics/cities.ts';

export interface PlaceOptions {
  accuracyKm?: number | null;
  precision?: LocationPrecision;
  city?: string | null;
}

export function place(where: LatLon, country: string, options: PlaceOptions = {}): GeoLocation {
  return {
    country,
    city: options.city ?? null,
    lat: where.lat,
    lon: where.lon,
    accuracyKm: options.accuracyKm === undefined ? 20 : options.accuracyKm,
    precision: options.precision ?? 'city',
    source: 'city-db',
    database: 'hand-written test claims',
  };
}

/** A global address the database places (asn optional). */
export function located(address: string, location: GeoLocation, asn?: number, org?: string): AddressInfo {
  return {
    address,
    class: 'global',
    location,
    asn: asn === undefined ? null : { asn, org: org ?? null, database: 'hand-written test claims' },
  };
}

/** A special-range address: never looked up, so it never carries a location. */
export function special(
  address: string,
  kind: AddressClass,
  location: GeoLocation | null = null,
): AddressInfo {
  return { address, class: kind, location, asn: null };
}

export function reply(address: string, rttMs: number): Reply {
  return { address, rttMs };
}

export const STAR: Reply = { address: null, rttMs: null };

export interface ScenarioSpec {
  method?: ProbeMethod;
  ipVersion?: IpVersion;
  source: string | null;
  destination: string | null;
  /** The prober's position; `declared` unless said otherwise. Null: unknown. */
  position: LatLon | null;
  positionSource?: 'declared' | 'city-db';
  /** Replies per TTL, TTL 1 first. */
  hops: Reply[][];
  addresses: AddressInfo[];
}

export function scenario(spec: ScenarioSpec): AnnotatedTrace {
  const hops: Hop[] = spec.hops.map((replies, i) => ({ ttl: i + 1, replies }));
  const addresses: Record<string, AddressInfo> = {};
  for (const info of spec.addresses) addresses[info.address] = info;
  return {
    trace: {
      tool: 'scamper',
      method: spec.method ?? 'icmp-paris',
      ipVersion: spec.ipVersion ?? 4,
      source: { address: spec.source },
      destination: { address: spec.destination },
      startedAt: null,
      hops,
    },
    addresses,
    sourcePosition: spec.position
      ? { lat: spec.position.lat, lon: spec.position.lon, source: spec.positionSource ?? 'declared' }
      : null,
  };
}
