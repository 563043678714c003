import type { AddressInfo, GeoLocation } from '../../protocol/annotated.ts';
import type { LocationCorrectionItem } from '../../protocol/location-corrections.ts';
import type {
  FeasibleRegionItem,
  HostnameReadingItem,
  LocationConstraintItem,
  LocationDecisionItem,
  LocationReport,
} from '../../protocol/locations-api.ts';
import type { RouterConstraint } from '../store/router-constraint-store.ts';
import { feasibleRegion, homeTest } from './constraints.ts';
import type { Conventions } from './convention.ts';
import { decidePlacement, type OperatorCorrection } from './decide.ts';
import type { Gazetteer } from './gazetteer.ts';
import type { HintReading } from './hint.ts';
import { tokenizeHostname } from './hostname.ts';
import type { Place } from './place.ts';
import { type HostnameHints, readHostname } from './read-hints.ts';
import { agentLabel, constraintDiscs } from './stored-constraints.ts';

/** Everything one location report is made of; the report is a function of these alone. */
export interface LocationReportInputs {
  ip: string;
  /** The databases' answer for the address (the locator's). */
  info: AddressInfo;
  hostname: string | null;
  /** The verified agents' lowest RTTs (RouterConstraintStore). */
  constraints: readonly RouterConstraint[];
  correction: LocationCorrectionItem | null;
  gazetteer: () => Gazetteer;
  conventions?: Conventions;
  home: ReadonlySet<string>;
  kmPerMs: number;
}

const EXAMPLES = 5;

const placeName = (p: { name: string; country: string }): string => `${p.name} (${p.country})`;

function placeItem(p: Place) {
  return { city: p.name, country: p.country, lat: p.lat, lon: p.lon };
}

function readingItem(r: HintReading, dropped: string | null): HostnameReadingItem {
  return { rule: r.rule, token: r.token, places: r.places.map(placeItem), dropped };
}

function hostnameHints(inputs: LocationReportInputs): HostnameHints | null {
  if (inputs.hostname === null) return null;
  const tokenized = tokenizeHostname(inputs.hostname);
  if (tokenized === null || tokenized.labels.length === 0) return null;
  return readHostname(tokenized, inputs.gazetteer(), inputs.conventions?.get(tokenized.suffix));
}

function operatorCorrection(item: LocationCorrectionItem | null): OperatorCorrection | null {
  if (item === null) return null;
  return { lat: item.lat, lon: item.lon, country: item.country, city: item.city, note: item.note };
}

function decisionLocation(location: GeoLocation | null): LocationDecisionItem['location'] {
  if (location === null) return null;
  return {
    country: location.country,
    city: location.city,
    lat: location.lat,
    lon: location.lon,
    radiusKm: location.accuracyKm,
    precision: location.precision,
  };
}

/**
 * The location report (protocol/locations-api.ts), pure: the hostname's readings, each verified vantage's
 * disc, the region they leave, and the placement decidePlacement makes of the database's answer, the readings
 * and the correction tested against those discs: the same decision a trace's hop gets, less the trace's own
 * prober (a report belongs to no trace).
 */
export function locationReport(inputs: LocationReportInputs): LocationReport {
  const hints = hostnameHints(inputs);
  const discs = constraintDiscs(inputs.constraints, inputs.kmPerMs);
  const region = feasibleRegion(discs);
  const database = inputs.info.class === 'global' ? inputs.info.location : null;
  const decision = decidePlacement(
    {
      address: inputs.ip,
      hostname: inputs.hostname,
      hints,
      database,
      correction: operatorCorrection(inputs.correction),
      region,
    },
    inputs.gazetteer,
    inputs.home,
  );
  const test = region.discs.length === 0 ? null : homeTest(region, inputs.gazetteer(), inputs.home);
  const feasible = test?.feasible ?? [];
  const byImportance = [...feasible].sort(
    (a, b) => b.importance - a.importance || a.name.localeCompare(b.name),
  );
  const regionItem: FeasibleRegionItem = {
    discs: region.discs.length,
    tightestKm: region.tightest?.radiusKm ?? null,
    tightestVantage: region.tightest?.vantage.label ?? null,
    atHome: test?.atHome ?? null,
    feasibleCities: test?.places ?? null,
    examples: byImportance.slice(0, EXAMPLES).map(placeName),
    abroad: test?.abroad ? placeName(test.abroad) : null,
  };
  const constraints: LocationConstraintItem[] = inputs.constraints.map((c, i) => ({
    agentId: c.agentId,
    agentName: c.agentName,
    vantage: agentLabel(c.agentName),
    lat: c.lat,
    lon: c.lon,
    minRttMs: c.minRttMs,
    radiusKm: discs[i]?.radiusKm ?? 0,
    at: new Date(c.at).toISOString(),
  }));
  return {
    ip: inputs.ip,
    hostname: inputs.hostname,
    asn: inputs.info.asn ? { asn: inputs.info.asn.asn, org: inputs.info.asn.org } : null,
    database,
    hostnameReadings: [
      ...(hints?.readings.map((r) => readingItem(r, null)) ?? []),
      ...(hints?.dropped.map((d) => readingItem(d.reading, d.why)) ?? []),
    ],
    correction: inputs.correction,
    constraints,
    region: regionItem,
    decision: {
      source: decision.placement.source,
      location: decisionLocation(decision.location),
      reason: decision.placement.reason,
      claims: decision.placement.claims,
    },
    homeCountries: [...inputs.home],
    kmPerMs: inputs.kmPerMs,
  };
}
