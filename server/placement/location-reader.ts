import { parseIp } from '../../protocol/address/parse.ts';
import type { AddressInfo } from '../../protocol/annotated.ts';
import { DetourwatchError } from '../../protocol/errors.ts';
import type { LocationCorrectionItem } from '../../protocol/location-corrections.ts';
import type { LocationReport } from '../../protocol/locations-api.ts';
import { quote } from '../../protocol/values/quote.ts';
import type { RouterConstraintStore } from '../store/router-constraint-store.ts';
import type { Conventions } from './convention.ts';
import { packagedGazetteer } from './dictionaries.ts';
import { locationReport } from './location-report.ts';

/** One address's location report, as the API and `detourwatch locations show` give it. */
export interface LocationReader {
  /** `hostname`: read this name instead of the one the traces carried. Throws BAD_REQUEST for a non-address. */
  report(ip: string, options?: { hostname?: string | null }): Promise<LocationReport>;
}

export interface LocationReaderDeps {
  store: Pick<RouterConstraintStore, 'routerConstraints' | 'routerName'>;
  /** The databases in service (Analyzer.locate). */
  locate: (address: string) => AddressInfo;
  home: ReadonlySet<string>;
  kmPerMs: number;
  /** The operator's correction of an address (issue 15, item 5); absent: none is known. */
  correction?: (ip: string) => Promise<LocationCorrectionItem | null>;
  conventions?: () => Conventions | undefined;
}

/** Longer than any DNS name: refused unread. */
const MAX_NAME = 253;

/** The thin shell around locationReport: validates, reads the store, and builds the report. */
export function locationReader(deps: LocationReaderDeps): LocationReader {
  return {
    async report(text, options = {}) {
      const parsed = parseIp(text);
      if (parsed === null) {
        throw new DetourwatchError('BAD_REQUEST', `${quote(text)} is not an IPv4 or IPv6 address`);
      }
      const asked = options.hostname ?? null;
      if (asked !== null && (asked.length === 0 || asked.length > MAX_NAME)) {
        throw new DetourwatchError('BAD_REQUEST', `a hostname has 1 to ${MAX_NAME} characters`);
      }
      const ip = parsed.address;
      const [constraints, stored, correction] = await Promise.all([
        deps.store.routerConstraints(ip),
        asked === null ? deps.store.routerName(ip) : Promise.resolve(null),
        deps.correction ? deps.correction(ip) : Promise.resolve(null),
      ]);
      const conventions = deps.conventions?.();
      return locationReport({
        ip,
        info: deps.locate(ip),
        hostname: asked ?? stored,
        constraints,
        correction,
        gazetteer: packagedGazetteer,
        ...(conventions === undefined ? {} : { conventions }),
        home: deps.home,
        kmPerMs: deps.kmPerMs,
      });
    },
  };
}
