import type { LatLon } from '../physics/great-circle.ts';

/** What kind of entry of a dictionary a place came from. */
export const PLACE_KINDS = ['airport', 'metro', 'city', 'clli'] as const;
export type PlaceKind = (typeof PLACE_KINDS)[number];

/** A named point from one of the dictionaries (OurAirports, GeoNames, the hand-kept code tables). */
export interface Place extends LatLon {
  name: string;
  /** ISO 3166-1 alpha-2, upper case. */
  country: string;
  /** The first-level subdivision as the dictionary writes it (US: the state's postal code), or null. */
  region: string | null;
  kind: PlaceKind;
  /**
   * How notable the place is, for choosing between namesakes: 3 = a large airport serves it, 2 = a medium one,
   * 1 = neither. GeoNames' cities in the installed package carry no population, so airports stand in for it.
   */
  importance: number;
  /** Which dictionary it came from, so evidence can cite it. */
  dictionary: string;
}

/**
 * How far (km) from a hint's point the router may be: a metro area. Routers sit in the city's data centres,
 * airports lie outside the city, and a CLLI place code names a wire centre that can be 30-50 km from downtown.
 */
export const HINT_RADIUS_KM = 50;

/** Namesakes closer than this are one answer (the same metro area); farther apart, a name is ambiguous. */
export const SAME_METRO_KM = 2 * HINT_RADIUS_KM;

/** Lower case, accents dropped, letters and digits only: `São Paulo` -> `saopaulo`, `Dallas-1` -> `dallas1`. */
export function normaliseName(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}
