/**
 * Where an operator's point lies (pure over the gazetteer): the nearest populated place within 50 km names its
 * country, region and city, so `locations set IP LAT,LON` needs no more; an explicit country (and city) wins.
 */

import { DetourwatchError } from '../../protocol/errors.ts';
import type { CorrectionPlace } from '../../protocol/location-corrections.ts';
import { greatCircleKm, type LatLon } from '../physics/great-circle.ts';
import type { Gazetteer } from './gazetteer.ts';
import { HINT_RADIUS_KM, type Place } from './place.ts';

/** ISO 3166-2 for what the dictionaries say: US states are their postal codes (US-TX); others are not known. */
function isoRegion(place: Place): string | null {
  return place.country === 'US' && place.region !== null && /^[A-Z]{2}$/.test(place.region)
    ? `US-${place.region}`
    : null;
}

export function nearestPlace(point: LatLon, gazetteer: Gazetteer): Place | null {
  let best: Place | null = null;
  for (const p of gazetteer.citiesWithin(point, HINT_RADIUS_KM)) {
    if (best === null || greatCircleKm(p, point) < greatCircleKm(best, point)) best = p;
  }
  return best;
}

/**
 * The correction's place. `country` (ISO alpha-2, checked by the caller) and `city` given by the operator win
 * over the nearest place's; without a country and with no place within 50 km, the operator must say.
 */
export function correctionPlace(
  point: LatLon,
  given: { country?: string | null; city?: string | null; region?: string | null },
  gazetteer: () => Gazetteer,
): CorrectionPlace {
  const near = given.country && given.city ? null : nearestPlace(point, gazetteer());
  const fromNear = near !== null && (!given.country || near.country === given.country);
  const country = given.country ?? near?.country ?? null;
  if (country === null) {
    throw new DetourwatchError(
      'USAGE',
      `no city lies within ${HINT_RADIUS_KM} km of ${point.lat},${point.lon}: give the country (--country CC)`,
    );
  }
  return {
    lat: point.lat,
    lon: point.lon,
    country,
    region: given.region ?? (fromNear && near ? isoRegion(near) : null),
    city: given.city ?? (fromNear && near ? near.name : null),
  };
}
