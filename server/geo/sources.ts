import type { AsnInfo, GeoLocation } from '../../protocol/annotated.ts';
import type { IpVersion } from '../../protocol/trace.ts';

/**
 * What the locator asks its databases. `address` is already classified as worth looking up, in the form a
 * database expects (IPv4-mapped IPv6 arrives as IPv4). Lookups throw DetourwatchError('DB_LOOKUP_FAILED')
 * when a file turns out to be corrupt.
 */
export interface CitySource {
  lookup(address: string, version: IpVersion): GeoLocation | null;
  /** Lines for startup logs: which files, their type and build date. */
  describe(): string[];
}

export interface AsnSource {
  lookup(address: string, version: IpVersion): AsnInfo | null;
  describe(): string[];
  /** Loads what would otherwise load on first use (a server must not stall its first request). */
  preload?(): void;
}
