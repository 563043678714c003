import type { GeoLocation } from '../../protocol/annotated.ts';

/**
 * A country-level answer (a centroid) names a country, not a place: the router may be anywhere in it. 3,000 km
 * from the centroid covers China (Kashgar is about 2,600 km from its centroid) and the contiguous US. It is a
 * floor, not a cap: a database radius that is larger wins. Wider countries (Russia, Canada's far east) can still
 * be wrongly refuted from a centroid; that only withdraws an alarm, never raises one.
 */
export const COUNTRY_LEVEL_RADIUS_KM = 3000;

/**
 * City answers without a radius (the embedded GeoLite2 flat records carry none): a generous metro-area slack,
 * so that a router placed in the neighbouring city of the right country is not refuted for a few milliseconds.
 */
export const CITY_LEVEL_DEFAULT_RADIUS_KM = 200;

/** How far (km) from the database's point the router may really be. */
export function claimRadiusKm(location: GeoLocation): number {
  const given = location.accuracyKm !== null && location.accuracyKm >= 0 ? location.accuracyKm : null;
  if (location.precision === 'country') return Math.max(given ?? 0, COUNTRY_LEVEL_RADIUS_KM);
  return given ?? CITY_LEVEL_DEFAULT_RADIUS_KM;
}
