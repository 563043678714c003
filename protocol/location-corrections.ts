/**
 * Operators' corrections of router locations and the log of placement changes (issue 15, items 5 and 6), as
 * the API and `detourwatch locations set|list|remove|changes` show them. Times are ISO 8601.
 *
 *   PUT    /api/v1/locations/{ip}  {"lat", "lon", "note", "country"?, "city"?}  -> PlacementChangeItem (operator)
 *   DELETE /api/v1/locations/{ip}                                                -> PlacementChangeItem (operator)
 *   GET    /api/v1/locations[?format=geofeed]       -> {corrections: LocationCorrectionItem[]}, or the CSV
 *   POST   /api/v1/locations[?acceptValid=true]     a geofeed CSV body -> CorrectionImportResult (operator)
 *   GET    /api/v1/placement-changes[?ip=IP][&limit=N]   -> {changes: PlacementChangeItem[]}, newest first
 */

export const LOCATION_CORRECTIONS_API = {
  list: '/api/v1/locations',
  one: '/api/v1/locations/:ip',
  changes: '/api/v1/placement-changes',
} as const;

/** A correction's place: the operator's point and where it lies (country, ISO 3166-2 region, city). */
export interface CorrectionPlace {
  lat: number;
  lon: number;
  /** ISO 3166-1 alpha-2. */
  country: string;
  /** ISO 3166-2 (`US-TX`), as a geofeed writes it; null when unknown. */
  region: string | null;
  city: string | null;
}

export interface LocationCorrectionItem extends CorrectionPlace {
  ip: string;
  note: string;
  /** Who set it: the operator key's name, or `local CLI user@host`. */
  by: string;
  at: string;
}

/** `constraints`: stored router constraints moved the placement (no operator's act; issue 15, item 6). */
export const PLACEMENT_CHANGE_KINDS = ['set', 'remove', 'constraints'] as const;
export type PlacementChangeKind = (typeof PLACEMENT_CHANGE_KINDS)[number];

/** `pending`: recorded, not yet re-judged (a coordinator applies it); `failed`: re-judging stopped, `error` says why. */
export const PLACEMENT_CHANGE_STATES = ['pending', 'applied', 'failed'] as const;
export type PlacementChangeState = (typeof PLACEMENT_CHANGE_STATES)[number];

/** One stored verdict that re-judging changed. */
export interface VerdictChangeItem {
  traceId: number;
  from: { verdict: string; confidence: string | null; foreignCountries: string[] };
  to: { verdict: string; confidence: string | null; foreignCountries: string[] };
  /** The incident the trace left (a detour that is one no more, or of another cause); null: none. */
  leftIncident: number | null;
  /** The incident it is in now; null: none. */
  incident: number | null;
}

/** The log of one placement change: what changed, and what re-judging did with the verdicts that used it. */
export interface PlacementChangeItem {
  id: number;
  ip: string;
  kind: PlacementChangeKind;
  by: string;
  at: string;
  before: CorrectionPlace | null;
  after: CorrectionPlace | null;
  note: string | null;
  state: PlacementChangeState;
  appliedAt: string | null;
  /** Verdicts of traces started at or after this were judged again. */
  windowFrom: string | null;
  tracesRejudged: number;
  verdictsChanged: number;
  changes: VerdictChangeItem[];
  error: string | null;
}

/** What an import said of each line of the file, and the changes it stored (none when a line was refused). */
export interface CorrectionImportResult {
  lines: { line: number; ip: string | null; accepted: boolean; message: string }[];
  /** False when a refused line kept the whole file out (without acceptValid). */
  applied: boolean;
  changes: PlacementChangeItem[];
}
