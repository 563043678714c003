import type { AsnInfo, GeoLocation } from '../../protocol/annotated.ts';
import type { IpVersion } from '../../protocol/trace.ts';
import type { GeoDatabaseBuild } from '../../protocol/verdict.ts';

/**
 * What the locator asks its databases. `address` is already classified as worth looking up, in the form a
 * database expects (IPv4-mapped IPv6 arrives as IPv4). Lookups throw DetourwatchError('DB_LOOKUP_FAILED')
 * when a file turns out to be corrupt.
 */
export interface CitySource {
  lookup(address: string, version: IpVersion): GeoLocation | null;
  /** Lines for startup logs: which files, their type and build date. */
  describe(): string[];
  /** Which builds answer (named in every verdict); absent for sources made up by tests. */
  builds?(): GeoDatabaseBuild[];
  /** The same builds with their files' SHA-256, for evidence bundles; absent where no file is hashed. */
  digests?(): DatabaseDigest[];
}

export interface AsnSource {
  lookup(address: string, version: IpVersion): AsnInfo | null;
  describe(): string[];
  builds?(): GeoDatabaseBuild[];
  digests?(): DatabaseDigest[];
  /** Loads what would otherwise load on first use (a server must not stall its first request). */
  preload?(): void;
}

/** A build and the SHA-256 (hex) of the file it was read from; null when the source hashes none. */
export interface DatabaseDigest extends GeoDatabaseBuild {
  sha256: string | null;
}
