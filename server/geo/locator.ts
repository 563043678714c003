import { inspectAddress } from '../../protocol/address/classify.ts';
import type { AddressInfo, AnnotatedTrace, SourcePosition } from '../../protocol/annotated.ts';
import type { Trace } from '../../protocol/trace.ts';
import type { GeoDatabaseBuild } from '../../protocol/verdict.ts';
import { openAsnDb } from './asn-db.ts';
import { openEmbeddedAsnRanges } from './asn-ranges.ts';
import { openCityDb, openEmbeddedCityDb } from './city-db.ts';
import type { AsnSource, CitySource, DatabaseDigest } from './sources.ts';

export interface LocatorOptions {
  /** A GeoIP2/GeoLite2 City .mmdb; default: the embedded GeoLite2 City data. */
  cityDb?: string;
  /** A GeoLite2-ASN .mmdb; default: the embedded @ip-location-db/asn tables. */
  asnDb?: string;
  /**
   * Look up documentation addresses (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32, 3fff::/20)
   * as if they were global. Only for tests and lab set-ups whose own databases place them; every other
   * special range is never looked up.
   */
  lookUpDocumentation?: boolean;
}

export interface Locator {
  /** What is known about one address (cached). Throws PARSE_FAILED for non-addresses, DB_LOOKUP_FAILED for corrupt files. */
  locate(address: string): AddressInfo;
  /**
   * Looks up each distinct address of the trace once. Without a declared `sourcePosition`, the prober's
   * position is its source address's database location, when that is global and placed at city precision
   * (a country centroid would put the prober hundreds of km off and skew every distance bound).
   */
  annotate(trace: Trace, sourcePosition?: SourcePosition | null): AnnotatedTrace;
  /** Lines for startup logs: which databases are in use. */
  describe(): string[];
  /** Loads lazily loaded tables now (a server calls it before taking traffic). */
  preload(): void;
  /** The database builds this locator answers from, for the verdicts it serves. */
  builds(): GeoDatabaseBuild[];
  /** The same with their files' SHA-256 where known (evidence bundles). */
  digests(): DatabaseDigest[];
}

/** Distinct addresses kept; a long-running coordinator sees far more, so the cache starts over when full. */
const CACHE_ENTRIES = 200_000;

/** Opens the databases now, so that a bad path or a corrupt file is reported at startup. */
export function createLocator(options: LocatorOptions = {}): Locator {
  const city = options.cityDb === undefined ? openEmbeddedCityDb() : openCityDb(options.cityDb);
  const asn = options.asnDb === undefined ? openEmbeddedAsnRanges() : openAsnDb(options.asnDb);
  return locatorFrom(city, asn, options.lookUpDocumentation === true);
}

/** The locator over sources already opened. */
export function locatorFrom(city: CitySource, asn: AsnSource, lookUpDocumentation: boolean): Locator {
  const cache = new Map<string, AddressInfo>();

  const locate = (address: string): AddressInfo => {
    const cached = cache.get(address);
    if (cached !== undefined) return cached;
    const inspected = inspectAddress(address);
    const lookUp =
      inspected.class === 'global' || (inspected.class === 'documentation' && lookUpDocumentation);
    const info: AddressInfo = {
      address,
      // In lab mode documentation space stands in for the public Internet, so it is judged as global too.
      class: lookUp ? 'global' : inspected.class,
      location: lookUp ? city.lookup(inspected.lookupAddress, inspected.version) : null,
      asn: lookUp ? asn.lookup(inspected.lookupAddress, inspected.version) : null,
    };
    if (cache.size >= CACHE_ENTRIES) cache.clear();
    cache.set(address, info);
    return info;
  };

  const annotate = (trace: Trace, sourcePosition?: SourcePosition | null): AnnotatedTrace => {
    // A null-prototype object is a dictionary from the start: a literal would get a new hidden class for
    // every address seen as a key, which made annotating cost several times the lookups themselves.
    const addresses: Record<string, AddressInfo> = Object.create(null);
    const add = (address: string | null) => {
      if (address !== null && !Object.hasOwn(addresses, address)) addresses[address] = locate(address);
    };
    add(trace.source.address);
    add(trace.source.publicAddress ?? null);
    add(trace.destination.address);
    for (const hop of trace.hops) for (const reply of hop.replies) add(reply.address);
    return { trace, addresses, sourcePosition: sourcePosition ?? derivedSource(trace, addresses) };
  };

  const options = `documentation ranges: ${lookUpDocumentation ? 'looked up (test/lab mode)' : 'never looked up'}`;
  return {
    locate,
    annotate,
    describe: () => [...city.describe(), ...asn.describe(), options],
    preload: () => asn.preload?.(),
    builds: () => [...(city.builds?.() ?? []), ...(asn.builds?.() ?? [])],
    digests: () =>
      [city, asn].flatMap((s) => s.digests?.() ?? (s.builds?.() ?? []).map((b) => ({ ...b, sha256: null }))),
  };
}

function derivedSource(trace: Trace, addresses: Record<string, AddressInfo>): SourcePosition | null {
  const own = trace.source.address === null ? null : addresses[trace.source.address]?.location;
  const seenAs = trace.source.publicAddress ? addresses[trace.source.publicAddress]?.location : null;
  // Behind NAT the source address is private (no location); the address the Internet sees then places it.
  const location = own ?? seenAs;
  if (location?.precision !== 'city') return null;
  return { lat: location.lat, lon: location.lon, source: 'city-db' };
}
