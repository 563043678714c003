/**
 * Whether the RTTs allow an operator's correction (issue 15, item 5), pure. Every verified vantage's stored
 * lowest RTT to the address (router constraints) and the lowest RTT stored from each known prober position
 * bound where the router can be; a correction outside any of those discs is refused with the numbers: "the
 * seattle-1 agent measured 3.1 ms, so 198.51.100.7 is within 310 km of it; 47.6,-122.3 is 2,400 km away".
 * The test is the one placement applies to a correction (decide.ts), with the same radius, so an accepted
 * correction is one the placement will use.
 */
import { DetourwatchError } from '../../protocol/errors.ts';
import { greatCircleKm, type LatLon } from '../physics/great-circle.ts';
import type { ProberReading } from '../store/location-correction-store.ts';
import type { RouterConstraint } from '../store/router-constraint-store.ts';
import { type Disc, discFrom, feasibleRegion, type Violation, violation } from './constraints.ts';
import { CORRECTION_RADIUS_KM } from './decide.ts';

export interface CorrectionEvidence {
  constraints: readonly RouterConstraint[];
  readings: readonly ProberReading[];
}

const degrees = (v: number) => String(Math.round(v * 100) / 100);

/** One disc per vantage: each verified agent's constraint, each prober position's lowest stored RTT. */
export function correctionDiscs(evidence: CorrectionEvidence, kmPerMs: number): Disc[] {
  const discs: Disc[] = evidence.constraints.map((c) =>
    discFrom({ lat: c.lat, lon: c.lon, label: `the ${c.agentName} agent` }, c.minRttMs, kmPerMs),
  );
  for (const r of evidence.readings) {
    const label =
      r.agentName === null
        ? `the probe at ${degrees(r.lat)},${degrees(r.lon)} (trace #${r.traceId})`
        : `the ${r.agentName} agent (trace #${r.traceId})`;
    discs.push(discFrom({ lat: r.lat, lon: r.lon, label }, r.rttMs, kmPerMs));
  }
  return discs;
}

/** The disc the point lies farthest outside of, or null when every RTT allows it. */
export function refutation(point: LatLon, discs: readonly Disc[]): Violation | null {
  return violation(feasibleRegion(discs), point, CORRECTION_RADIUS_KM);
}

const km = (x: number) => Math.round(x).toLocaleString('en-US');
const ms = (x: number) => `${Math.round(x * 10) / 10} ms`;

/** "the seattle-1 agent measured 3.1 ms, so 198.51.100.7 is within 310 km of it; 47.6,-122.3 is 2,400 km away" */
export function refusalText(ip: string, point: LatLon, v: Violation): string {
  const away = greatCircleKm(v.disc.vantage, point);
  return (
    `${v.disc.vantage.label} measured ${ms(v.disc.rttMs)}, so ${ip} is within ${km(v.disc.radiusKm)} km of it; ` +
    `${degrees(point.lat)},${degrees(point.lon)} is ${km(away)} km away`
  );
}

/** Refuses a correction the RTTs rule out (CORRECTION_REFUTED, with the numbers). */
export function assertCorrectionAllowed(ip: string, point: LatLon, discs: readonly Disc[]): void {
  const v = refutation(point, discs);
  if (v !== null) {
    throw new DetourwatchError(
      'CORRECTION_REFUTED',
      `the correction of ${ip} is refused: ${refusalText(ip, point, v)}`,
    );
  }
}
